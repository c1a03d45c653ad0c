#!/usr/bin/env python3
"""Checks the echo server from outside, as a new user would, and prints what it measured.

    python3 bench/scripts/acceptance.py [--jar server/target/echo-server.jar] [--backends nio,epoll,iouring]

For each backend it starts `java -Dbackend=B -jar JAR --port 0 ...` and measures:
  idle-cpu     CPU of the server process holding 100 idle connections for 10 s (% of one core)
  status       arrival times of the status line at --status-interval 300ms (deviation from the ideal schedule)
  non-reader   server RSS growth while one client writes for 8 s without reading,
               and the round trips of 5 other clients meanwhile
  emfile       CPU of a server run with `prlimit --nofile=64` while 120 clients are connected,
               whether old connections still echo and whether accepting resumes
  half-close   every byte sent before shutdown(SHUT_WR) comes back, then EOF
  sigterm      exit code after SIGTERM with output pending
Exits 1 if a behaviour check fails (the figures themselves are reported, not judged).
"""
import argparse, os, select, signal, socket, subprocess, sys, time

JAVA = os.path.join(os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64"), "bin", "java")
TICK = os.sysconf("SC_CLK_TCK")
STATUS = b"Server status: "


def start(jar, backend, args, prefix=()):
    cmd = list(prefix) + [JAVA, "--enable-native-access=ALL-UNNAMED", f"-Dbackend={backend}", "-jar", jar,
                          "--port", "0"] + list(args)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    deadline = time.time() + 20
    while time.time() < deadline:
        line = proc.stdout.readline().decode()
        if line.startswith("listening on "):
            hostport = line.split()[2]
            host, port = hostport.rsplit(":", 1)
            return proc, (host.strip("[]"), int(port))
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError(f"server did not start: {' '.join(cmd)}")


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        return None


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def connect(addr, timeout=5):
    s = socket.create_connection(addr, timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def echo_once(sock, payload, timeout=5):
    """Sends payload, returns the round-trip time once it came back (status lines are skipped)."""
    t0 = time.perf_counter()
    sock.sendall(payload)
    got = b""
    sock.settimeout(timeout)
    while payload not in got:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed during echo")
        got += chunk
    return time.perf_counter() - t0


def check_idle_cpu(jar, backend):
    proc, addr = start(jar, backend, [])
    try:
        conns = [connect(addr) for _ in range(100)]
        time.sleep(1)
        c0, t0 = cpu_seconds(proc.pid), time.time()
        time.sleep(10)
        c1, t1 = cpu_seconds(proc.pid), time.time()
        alive = sum(1 for c in conns if echo_once(c, b"ping\n") < 5)
        for c in conns:
            c.close()
        pct = 100 * (c1 - c0) / (t1 - t0)
        print(f"  idle-cpu    {pct:.2f}% of a core over {t1 - t0:.1f} s with 100 connections ({alive} still echo)")
        return alive == 100
    finally:
        stop(proc)


def check_status(jar, backend):
    proc, addr = start(jar, backend, ["--status-interval", "300ms"])
    try:
        s = connect(addr)
        s.settimeout(5)
        buf, times = b"", []
        while len(times) < 21:
            chunk = s.recv(4096)
            if not chunk:
                break
            now = time.perf_counter()
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if line.startswith(STATUS):
                    times.append(now)
        s.close()
        if len(times) < 21:
            print(f"  status      FAILED: only {len(times)} lines")
            return False
        gaps = [(b - a) * 1000 for a, b in zip(times, times[1:])]
        drift = [((t - times[0]) - 0.3 * i) * 1000 for i, t in enumerate(times)]
        print(f"  status      20 intervals at 300 ms: gap min {min(gaps):.1f} max {max(gaps):.1f} ms; "
              f"deviation from the ideal schedule {min(drift):+.1f}..{max(drift):+.1f} ms")
        return True
    finally:
        stop(proc)


def check_non_reader(jar, backend):
    proc, addr = start(jar, backend, ["--status-interval", "300ms"])
    try:
        others = [connect(addr) for _ in range(5)]
        for o in others:
            echo_once(o, b"warm\n")
        rss0 = rss_kib(proc.pid)
        hog = connect(addr)
        hog.setblocking(False)
        block = b"x" * 65536
        sent, rss_max, rtts, end = 0, rss0, [], time.time() + 8
        hog_closed = False
        while time.time() < end:
            _, w, _ = select.select([], [hog], [], 0.02)
            if w and not hog_closed:
                try:
                    sent += hog.send(block)
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    hog_closed = True
            for o in others:
                rtts.append(echo_once(o, b"rtt-probe\n") * 1000)
            rss_max = max(rss_max, rss_kib(proc.pid))
        hog.close()
        for o in others:
            o.close()
        rtts.sort()
        print(f"  non-reader  client wrote {sent / 2**20:.1f} MiB in 8 s without reading "
              f"({'disconnected by server' if hog_closed else 'throttled by TCP'}); server RSS "
              f"{rss0 / 1024:.0f} -> max {rss_max / 1024:.0f} MiB (growth {(rss_max - rss0) / 1024:.1f} MiB); "
              f"others' round trips p50 {rtts[len(rtts) // 2]:.2f} ms max {rtts[-1]:.2f} ms ({len(rtts)} probes)")
        return rtts[-1] < 1000
    finally:
        stop(proc)


def check_emfile(jar, backend):
    proc, addr = start(jar, backend, [], prefix=["prlimit", "--nofile=64:64"])
    try:
        conns = []
        for _ in range(120):
            try:
                conns.append(connect(addr, timeout=2))
            except OSError:
                break
        time.sleep(1)
        c0, t0 = cpu_seconds(proc.pid), time.time()
        time.sleep(5)
        c1, t1 = cpu_seconds(proc.pid), time.time()
        pct = 100 * (c1 - c0) / (t1 - t0)
        # The first connections were accepted before the limit; they must still echo.
        first_ok = echo_once(conns[0], b"still here\n") < 5
        for c in conns[1:]:
            c.close()
        time.sleep(1)
        fresh = connect(addr)
        resumed = echo_once(fresh, b"new after fds freed\n") < 5
        fresh.close()
        conns[0].close()
        print(f"  emfile      {pct:.2f}% of a core over {t1 - t0:.1f} s with {len(conns)} clients at nofile=64; "
              f"old connection echoes: {first_ok}; accepting resumed after close: {resumed}")
        return first_ok and resumed
    finally:
        stop(proc)


def check_half_close(jar, backend):
    proc, addr = start(jar, backend, ["--status-interval", "1m"])
    try:
        s = connect(addr)
        payload = os.urandom(1 << 20)
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        got = b""
        s.settimeout(10)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        s.close()
        ok = got == payload
        print(f"  half-close  sent 1 MiB then SHUT_WR: got {len(got)} bytes back, identical: {ok}, then EOF")
        return ok
    finally:
        stop(proc)


def check_sigterm(jar, backend):
    proc, addr = start(jar, backend, ["--status-interval", "1m"])
    s = connect(addr)
    s.sendall(b"y" * (4 << 20))  # more than the socket buffers hold: output is pending at SIGTERM
    time.sleep(0.2)
    t0 = time.time()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(15)
    s.close()
    print(f"  sigterm     exit code {code} after {time.time() - t0:.2f} s (client not reading: flush bounded by --shutdown-timeout)")
    return code == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jar", default="server/target/echo-server.jar")
    ap.add_argument("--backends", default="nio,epoll,iouring")
    ap.add_argument("--checks", default="idle-cpu,status,non-reader,emfile,half-close,sigterm")
    a = ap.parse_args()
    checks = {"idle-cpu": check_idle_cpu, "status": check_status, "non-reader": check_non_reader,
              "emfile": check_emfile, "half-close": check_half_close, "sigterm": check_sigterm}
    failed = []
    for backend in a.backends.split(","):
        print(f"backend={backend}", flush=True)
        for name in a.checks.split(","):
            try:
                ok = checks[name](a.jar, backend)
            except Exception as e:  # a check that crashes is a failed check, reported and counted
                print(f"  {name:11} FAILED: {e!r}")
                ok = False
            if not ok:
                failed.append(f"{backend}/{name}")
            sys.stdout.flush()
    print("failed: " + ", ".join(failed) if failed else "all checks passed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
