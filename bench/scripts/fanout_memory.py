#!/usr/bin/env python3
"""Memory per idle connection of the echo server, as a user runs it.

Starts server/target/echo-server.jar on one backend with a pre-touched fixed heap (so RSS growth is
what lives outside the Java heap: direct buffers, native and kernel-mapped memory of the backend),
opens N idle connections from a child JVM (bench/target/benchmarks.jar, FanOutClients: it reads
every status line), lets a few broadcasts go out, and reports
  - RSS growth per connection (VmRSS before/after),
  - Java heap growth per connection (jcmd GC.class_histogram totals before/after, after a full GC),
  - the classes that grew, per connection.
Usage: bench/scripts/fanout_memory.py [--backends nio,epoll,iouring-netty] [--connections 10000]
Build first: mvn -B -q package -DskipTests
"""
import argparse
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JAVA_HOME = os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64")
JAVA = os.path.join(JAVA_HOME, "bin", "java")
JCMD = os.path.join(JAVA_HOME, "bin", "jcmd")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def histogram(pid):
    out = subprocess.run([JCMD, str(pid), "GC.class_histogram"], capture_output=True, text=True, timeout=60).stdout
    classes = {}
    total = 0
    for line in out.splitlines():
        m = re.match(r"\s*\d+:\s+(\d+)\s+(\d+)\s+(\S+)", line)
        if m:
            classes[m.group(3)] = (int(m.group(1)), int(m.group(2)))
        m = re.match(r"Total\s+(\d+)\s+(\d+)", line)
        if m:
            total = int(m.group(2))
    return total, classes


def measure(backend, n, interval, pretouch):
    heap = ["-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch"] if pretouch else []
    command = [JAVA, f"-Dbackend={backend}"] + heap + [
        "-jar", os.path.join(ROOT, "server/target/echo-server.jar"), "--port", "0",
        "--status-interval", interval, "--max-connections", str(max(n, 10000))]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    clients = None
    try:
        line = server.stdout.readline()
        port = int(re.search(r":(\d+) ", line).group(1))
        time.sleep(3)
        rss0 = rss_kib(server.pid)
        heap0, classes0 = histogram(server.pid)
        rss0 = min(rss0, rss_kib(server.pid))
        clients = subprocess.Popen([JAVA, "-Xmx256m", "-cp", os.path.join(ROOT, "bench/target/benchmarks.jar"),
                                    "dev.oneloop.bench.jmh.FanOutClients", "127.0.0.1", str(port), str(n), "120"],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if not clients.stdout.readline().startswith("connected"):
            raise RuntimeError("clients did not connect")
        time.sleep(6)  # a few broadcasts to every connection
        rss1 = rss_kib(server.pid)
        heap1, classes1 = histogram(server.pid)
        grown = []
        for name, (count, size) in classes1.items():
            c0, s0 = classes0.get(name, (0, 0))
            if size - s0 >= n * 4:
                grown.append((size - s0, count - c0, name))
        grown.sort(reverse=True)
        print(f"{backend}: {n} idle connections, status every {interval}: RSS +{(rss1 - rss0) * 1024 / n:.0f} B per connection "
              f"({rss0 / 1024:.1f} -> {rss1 / 1024:.1f} MiB{', heap pre-touched' if pretouch else ', default heap'}); Java heap +{(heap1 - heap0) / n:.0f} B per connection")
        for size, count, name in grown[:12]:
            print(f"    {size / n:7.1f} B/conn  {count / n:5.2f} objects/conn  {name}")
        sys.stdout.flush()
    finally:
        if clients:
            clients.stdin.close()
            clients.kill()
        server.terminate()
        server.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", default="nio,epoll,iouring-netty")
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--interval", default="1s")
    parser.add_argument("--default-heap", action="store_true",
                        help="the JVM's default heap, not pre-touched: RSS then also counts heap pages touched")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        measure(backend, args.connections, args.interval, not args.default_heap)


if __name__ == "__main__":
    main()
