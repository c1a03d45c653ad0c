package dev.oneloop.bench.load;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.oneloop.bench.Durations;
import dev.oneloop.bench.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Command line of the load generator: one run against a server that is already listening. */
@Command(name = "load-generator", mixinStandardHelpOptions = true,
        description = {"Echo load against a running server: N connections, M-byte messages, closed loop or a fixed total rate.",
                "Every echoed byte is verified; the server's 'Server status: N active connections' lines are recognised and checked.",
                "Pin it away from the server, e.g. taskset -c 1 java -cp bench/target/benchmarks.jar ... while the server runs on CPU 0."})
public final class LoadGenerator implements Callable<Integer> {

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "server address (default ${DEFAULT-VALUE})")
    private String host;

    @Option(names = "--port", required = true, description = "server port")
    private int port;

    @Option(names = {"-c", "--connections"}, defaultValue = "50", description = "concurrent connections (default ${DEFAULT-VALUE})")
    private int connections;

    @Option(names = {"-s", "--size"}, defaultValue = "64", description = "message size in bytes (default ${DEFAULT-VALUE})")
    private int size;

    @Option(names = "--rate", defaultValue = "0",
            description = "total messages per second over all connections; 0 = closed loop (default ${DEFAULT-VALUE})")
    private long rate;

    @Option(names = "--warmup", defaultValue = "2s", converter = Durations.class, description = "default ${DEFAULT-VALUE}")
    private Duration warmup;

    @Option(names = "--duration", defaultValue = "5s", converter = Durations.class, description = "measured window (default ${DEFAULT-VALUE})")
    private Duration duration;

    @Option(names = "--syscall-window", defaultValue = "1s", converter = Durations.class,
            description = "window after the measured one with perf/strace attached to the server; 0s skips it (default ${DEFAULT-VALUE})")
    private Duration syscallWindow;

    @Option(names = "--drain-timeout", defaultValue = "5s", converter = Durations.class, description = "default ${DEFAULT-VALUE}")
    private Duration drainTimeout;

    @Option(names = "--threads", defaultValue = "1", description = "client selector threads (default ${DEFAULT-VALUE})")
    private int threads;

    @Option(names = "--max-in-flight", defaultValue = "64",
            description = "at a fixed rate, outstanding messages per connection, a power of two (default ${DEFAULT-VALUE})")
    private int maxInFlight;

    @Option(names = "--server-pid", defaultValue = "0",
            description = "server process for CPU and syscalls; 0 finds the process listening on --port (default)")
    private long serverPid;

    @Option(names = "--syscalls", defaultValue = "auto", description = "auto, perf, strace or none (default ${DEFAULT-VALUE})")
    private String syscalls;

    @Option(names = "--json", description = "also write the result as JSON to this file")
    private Path json;

    public static void main(String[] args) {
        System.exit(new CommandLine(new LoadGenerator()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        long pid = serverPid > 0 ? serverPid : ProcStat.listenerPid(port);
        SyscallCounter.Method method = switch (syscalls) {
            case "auto" -> SyscallCounter.Method.detect();
            case "perf" -> SyscallCounter.Method.PERF;
            case "strace" -> SyscallCounter.Method.STRACE;
            case "none" -> SyscallCounter.Method.NONE;
            default -> throw new CommandLine.ParameterException(new CommandLine(this), "--syscalls: auto, perf, strace or none");
        };
        LoadSpec spec = new LoadSpec(new InetSocketAddress(host, port), connections, size, rate, warmup, duration, syscallWindow,
                drainTimeout, threads, maxInFlight);
        System.err.printf(Locale.ROOT, "load: %d connections x %d B, %s, server pid %s (CPUs %s), client CPUs %s, syscalls: %s%n",
                connections, size, rate == 0 ? "closed loop" : rate + " msg/s", pid > 0 ? pid : "unknown",
                pid > 0 ? ProcStat.allowedCpus(pid) : "?", ProcStat.allowedCpus(ProcessHandle.current().pid()), method);
        LoadResult r = new LoadRun(spec, pid, method, line -> System.err.println("  " + line)).run();
        System.out.println(summary(r));
        if (json != null) {
            Files.writeString(json, Json.write(Map.of("spec", specMap(spec), "result", r.toMap())));
        }
        return r.allVerified() ? 0 : 1;
    }

    static String summary(LoadResult r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "throughput      %,.0f msg/s (%d messages in %.2f s)%n", r.throughput(), r.messages(), r.windowSeconds()));
        sb.append(String.format(Locale.ROOT, "latency         p50 %.1f us  p99 %.1f us  p99.9 %.1f us  max %.1f us%n",
                r.p50Micros(), r.p99Micros(), r.p999Micros(), r.maxMicros()));
        sb.append(String.format(Locale.ROOT, "server CPU      %.3f us/msg (%.0f%% of a core)%n", r.serverCpuMicrosPerMessage(), r.serverCpuPercent()));
        sb.append(String.format(Locale.ROOT, "client CPU      %.0f%% of a core%s%n", r.clientCpuPercent(),
                r.clientSaturated() ? "  (saturated: the client set the pace)" : ""));
        if (r.syscalls() != null) {
            sb.append(String.format(Locale.ROOT, "syscalls        %.2f per message (%s, %d messages) %s%n", r.syscallsPerMessage(),
                    r.syscalls().method(), r.syscallWindowMessages(), r.syscalls().byCall()));
        }
        sb.append(String.format(Locale.ROOT, "verified        %s: %d echoes, %d status lines, %d failed connections, %d unfinished%s",
                r.allVerified() ? "yes" : "NO", r.completedTotal(), r.statusLines(), r.failedConnections(), r.unfinished(),
                r.skipped() > 0 ? ", " + r.skipped() + " skipped (connection at --max-in-flight)" : ""));
        for (String e : r.errors()) {
            sb.append("\n  error: ").append(e);
        }
        return sb.toString();
    }

    private static Map<String, Object> specMap(LoadSpec s) {
        return Map.of("target", s.target().toString(), "connections", s.connections(), "messageSize", s.messageSize(),
                "ratePerSecond", s.ratePerSecond(), "warmup", Durations.format(s.warmup()), "measure", Durations.format(s.measure()));
    }
}
