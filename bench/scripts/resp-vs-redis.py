#!/usr/bin/env python3
"""RESP server vs Redis, measured with redis-benchmark in one run.

Starts redis-server (--save '' --appendonly no) and the RESP server's fat jar on each backend, every
server pinned to CPU 0 (taskset -c 0) and redis-benchmark to CPU 1. For every cell
(-t ping_mbulk|set|get, -c 1|50|500, -P 1|16) it runs redis-benchmark once per server, the servers
alternating within the cell, and records:
  - server CPU per request: utime+stime of the server process from /proc/<pid>/stat, before/after,
    divided by the requests of the run (the whole process: for Java that includes GC and JIT threads);
  - requests/s and p99 latency from redis-benchmark's own --csv report.
With --rounds N each cell is run N times per server (alternating) and the median is kept.

The machine may be shared: compare ratios within the run, not absolute figures across runs.

Writes bench/results/resp.md and bench/results/resp.json.

  python3 bench/scripts/resp-vs-redis.py [--jar examples/resp/target/resp-server.jar]
      [--backends nio,epoll,iouring-netty,iouring] [--rounds 1] [--scale 1.0]
"""
import argparse
import csv
import io
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ["ping_mbulk", "set", "get"]
CLIENTS = [1, 50, 500]
PIPELINES = [1, 16]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def requests_for(clients, pipeline, scale):
    # Each run takes a second or two here; enough for the 10 ms CPU clock to resolve ~1%.
    if pipeline == 1:
        n = 30_000 if clients == 1 else 100_000
    else:
        n = 200_000 if clients == 1 else 400_000
    return max(1000, int(n * scale))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def wait_for_ping(port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16) == b"+PONG\r\n":
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"no server answered PING on port {port}")


class Server:
    def __init__(self, name, command, port):
        self.name, self.command, self.port = name, command, port
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["taskset", "-c", "0"] + self.command, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        try:
            wait_for_ping(self.port)
        except RuntimeError:
            self.proc.kill()
            err = self.proc.stderr.read().decode(errors="replace")
            raise RuntimeError(f"{self.name} did not start: {err[-2000:]}")
        return self

    def stop(self):
        self.proc.terminate()  # SIGTERM: both stop cleanly with exit code 0
        code = self.proc.wait(timeout=20)
        return code


def benchmark(port, test, clients, pipeline, n):
    cmd = ["taskset", "-c", "1", "redis-benchmark", "-p", str(port), "-t", test, "-c", str(clients),
           "-P", str(pipeline), "-n", str(n), "--csv"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {out.stderr}")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    if len(rows) != 1:
        raise RuntimeError(f"unexpected redis-benchmark output: {out.stdout!r} {out.stderr!r}")
    return rows[0], " ".join(cmd[3:])


def measure(server, test, clients, pipeline, n):
    before = cpu_seconds(server.proc.pid)
    row, cmd = benchmark(server.port, test, clients, pipeline, n)
    cpu = cpu_seconds(server.proc.pid) - before
    return {"cpu_us_per_request": cpu / n * 1e6, "rps": float(row["rps"]),
            "p50_ms": float(row["p50_latency_ms"]), "p99_ms": float(row["p99_latency_ms"]),
            "requests": n, "cpu_s": cpu, "command": cmd}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jar", default=str(ROOT / "examples/resp/target/resp-server.jar"))
    ap.add_argument("--java", default=os.path.join(os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64"), "bin/java"))
    ap.add_argument("--backends", default="nio,epoll,iouring-netty,iouring")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies -n of every run")
    ap.add_argument("--out", default=str(ROOT / "bench/results/resp"))
    args = ap.parse_args()
    for tool in ("redis-server", "redis-benchmark", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found (apt-get install redis-server redis-tools util-linux)")

    servers = []
    port = free_port()
    servers.append(Server("redis", ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"], port).start())
    for backend in [b for b in args.backends.split(",") if b]:
        port = free_port()
        s = Server(backend, [args.java, f"-Dbackend={backend}", "-jar", args.jar, "--port", str(port)], port)
        try:
            servers.append(s.start())
        except RuntimeError as e:
            print(f"skipping backend {backend}: {str(e).splitlines()[-1] if str(e) else e}", file=sys.stderr)
    names = [s.name for s in servers]
    print("servers:", ", ".join(names), file=sys.stderr)

    # Warm-up: the JIT compiles the hot path before anything is measured (Redis needs none, it gets it too).
    for s in servers:
        for test in TESTS:
            benchmark(s.port, test, 50, 16, int(300_000 * max(args.scale, 0.2)))
            benchmark(s.port, test, 1, 1, int(20_000 * max(args.scale, 0.2)))

    load_before = os.getloadavg()
    results = []
    started = time.time()
    for clients in CLIENTS:
        for pipeline in PIPELINES:
            for test in TESTS:
                n = requests_for(clients, pipeline, args.scale)
                runs = {name: [] for name in names}
                for r in range(args.rounds):
                    order = servers if r % 2 == 0 else list(reversed(servers))
                    for s in order:
                        runs[s.name].append(measure(s, test, clients, pipeline, n))
                cell = {"test": test, "clients": clients, "pipeline": pipeline, "requests": n, "servers": {}}
                for name, rs in runs.items():
                    med = lambda k: statistics.median(x[k] for x in rs)
                    cell["servers"][name] = {"cpu_us_per_request": med("cpu_us_per_request"), "rps": med("rps"),
                                             "p50_ms": med("p50_ms"), "p99_ms": med("p99_ms"), "runs": rs}
                results.append(cell)
                line = "  ".join(f"{name} {cell['servers'][name]['cpu_us_per_request']:.2f}us {cell['servers'][name]['rps']:.0f}/s"
                                 for name in names)
                print(f"{test:10s} -c {clients:3d} -P {pipeline:2d}: {line}", file=sys.stderr)
    elapsed = time.time() - started
    exits = {s.name: s.stop() for s in servers}

    meta = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "host": platform.node(), "kernel": platform.release(),
            "cpus": os.cpu_count(), "loadavg_before": load_before, "loadavg_after": os.getloadavg(),
            "redis": subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.strip(),
            "java": subprocess.run([args.java, "-version"], capture_output=True, text=True).stderr.splitlines()[0],
            "rounds": args.rounds, "scale": args.scale, "seconds": round(elapsed), "exit_codes_on_sigterm": exits,
            "command": "python3 bench/scripts/resp-vs-redis.py " + " ".join(sys.argv[1:])}
    Path(args.out + ".json").write_text(json.dumps({"meta": meta, "cells": results}, indent=1))
    Path(args.out + ".md").write_text(report(meta, names, results))
    print(f"wrote {args.out}.md and {args.out}.json", file=sys.stderr)


def report(meta, names, results):
    backends = [n for n in names if n != "redis"]
    out = ["# RESP server vs Redis: server CPU per request, requests/s, p99", "",
           f"Measured {meta['date']} on {meta['host']} ({meta['cpus']} CPUs, Linux {meta['kernel']}); {meta['redis']}; "
           f"{meta['java']}. Command: `{meta['command']}` ({meta['seconds']} s of measurement, median of "
           f"{meta['rounds']} run(s) per server and cell).", "",
           "Every server is pinned to CPU 0 (`taskset -c 0`), redis-benchmark to CPU 1; each cell is "
           "`redis-benchmark -t TEST -c C -P P -n N --csv`, run against each server in turn (alternating), so the "
           "servers share the same background. **The machine is shared with other engineers' builds** (load "
           f"average {meta['loadavg_before'][0]:.2f} before, {meta['loadavg_after'][0]:.2f} after): compare the "
           "ratios within this run, not the absolute figures with other runs. Server CPU is utime+stime of the "
           "whole process from /proc/PID/stat (10 ms ticks) divided by the requests; for Java it includes GC and "
           "JIT threads. p99 and requests/s are redis-benchmark's own.", "",
           "## Server CPU per request (µs; ratio to Redis in parentheses; below 1.00 is less CPU than Redis)", ""]
    out.append("| test | -c | -P | redis | " + " | ".join(backends) + " |")
    out.append("|---|--:|--:|--:|" + "--:|" * len(backends))
    for c in results:
        r = c["servers"]["redis"]["cpu_us_per_request"]
        cells = [f"{c['servers'][b]['cpu_us_per_request']:.2f} ({c['servers'][b]['cpu_us_per_request'] / r:.2f})" for b in backends]
        out.append(f"| {c['test']} | {c['clients']} | {c['pipeline']} | {r:.2f} | " + " | ".join(cells) + " |")
    out += ["", "## Requests per second and p99 latency (ms), from redis-benchmark", ""]
    out.append("| test | -c | -P | -n | " + " | ".join(names) + " |")
    out.append("|---|--:|--:|--:|" + "--:|" * len(names))
    for c in results:
        cells = [f"{c['servers'][n]['rps']:,.0f} / {c['servers'][n]['p99_ms']:.3f}" for n in names]
        out.append(f"| {c['test']} | {c['clients']} | {c['pipeline']} | {c['requests']} | " + " | ".join(cells) + " |")
    out += ["", "## Goal: less server CPU per request than Redis on every cell", ""]
    for b in backends:
        missed = [f"{c['test']} -c {c['clients']} -P {c['pipeline']} "
                  f"({c['servers'][b]['cpu_us_per_request']:.2f} vs {c['servers']['redis']['cpu_us_per_request']:.2f} µs)"
                  for c in results if c["servers"][b]["cpu_us_per_request"] >= c["servers"]["redis"]["cpu_us_per_request"]]
        out.append(f"- `{b}`: " + ("met on every cell." if not missed else f"missed on {len(missed)} of {len(results)} cells: " + "; ".join(missed) + "."))
    out += ["", f"Exit codes after SIGTERM at the end of the run: {meta['exit_codes_on_sigterm']}.", ""]
    return "\n".join(out)


if __name__ == "__main__":
    main()
