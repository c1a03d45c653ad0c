#!/usr/bin/env python3
"""Server CPU per status line delivered with many idle connections: oneloop on each backend against
the C epoll floor (bench/src/main/c/epoll_echo.c, compiled here with gcc -O2).

Each server runs alone with --status-interval 1s; a child JVM (bench/target/benchmarks.jar,
FanOutClients) opens N connections and reads everything; after a settling pause the server's CPU
time (utime + stime from /proc/PID/stat, so kernel work of its sends counts) is taken over a window
and divided by the lines it sent (N per tick).
Usage: bench/scripts/fanout_cpu.py [--connections 10000] [--seconds 10] [--servers c-epoll,nio,epoll,iouring-netty]
Build first: mvn -B -q package -DskipTests
"""
import argparse
import os
import re
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JAVA_HOME = os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64")
JAVA = os.path.join(JAVA_HOME, "bin", "java")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def start_server(name, c_binary):
    if name == "c-epoll":
        return subprocess.Popen([c_binary, "--port", "0", "--status-interval", "1s"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
    return subprocess.Popen([JAVA, f"-Dbackend={name}", "-jar", os.path.join(ROOT, "server/target/echo-server.jar"),
                             "--port", "0", "--status-interval", "1s"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def measure(name, n, seconds, c_binary):
    server = start_server(name, c_binary)
    clients = None
    try:
        line = server.stdout.readline()
        port = int(re.search(r":(\d+)", line.split("listening on", 1)[1]).group(1))
        clients = subprocess.Popen([JAVA, "-Xmx256m", "-cp", os.path.join(ROOT, "bench/target/benchmarks.jar"),
                                    "dev.oneloop.bench.jmh.FanOutClients", "127.0.0.1", str(port), str(n), str(seconds + 60)],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if not clients.stdout.readline().startswith("connected"):
            raise RuntimeError("clients did not connect")
        time.sleep(5)  # JIT warm-up over a few ticks
        cpu0, t0 = cpu_seconds(server.pid), time.monotonic()
        time.sleep(seconds)
        cpu1, t1 = cpu_seconds(server.pid), time.monotonic()
        ticks = round(t1 - t0)
        print(f"{name}: {n} connections, {t1 - t0:.1f} s: server CPU {cpu1 - cpu0:.2f} s = "
              f"{(cpu1 - cpu0) / (ticks * n) * 1e6:.2f} us per status line delivered ({ticks} ticks)", flush=True)
    finally:
        if clients:
            clients.stdin.close()
            clients.kill()
        server.terminate()
        server.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--servers", default="c-epoll,nio,epoll,iouring-netty")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        c_binary = os.path.join(tmp, "epoll-echo")
        subprocess.run(["gcc", "-O2", "-o", c_binary, os.path.join(ROOT, "bench/src/main/c/epoll_echo.c")], check=True)
        for name in args.servers.split(","):
            measure(name, args.connections, args.seconds, c_binary)


if __name__ == "__main__":
    main()
