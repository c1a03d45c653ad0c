package dev.oneloop.bench.report;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.oneloop.bench.Durations;
import dev.oneloop.bench.load.FanoutResult;
import dev.oneloop.bench.load.FanoutRun;
import dev.oneloop.bench.load.LoadResult;
import dev.oneloop.bench.load.LoadRun;
import dev.oneloop.bench.load.LoadSpec;
import dev.oneloop.bench.load.ProcStat;
import dev.oneloop.bench.load.SyscallCounter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The whole-process comparison: every server of {@code servers.conf} × connections × message sizes,
 * repeated with the servers' order rotated each time, reported as medians with min–max in JSON,
 * Markdown and a PNG chart. The server runs pinned to one CPU and this process (the load generator)
 * to another.
 */
@Command(name = "comparison", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs the echo-server comparison and writes NAME.json, NAME.md and NAME.png to --out.",
                "Exit code 0 only if every server that could run ran every workload and every echo was verified."})
public final class Comparison implements Callable<Integer> {

    /** Descriptors kept out of the fan-out's share of the limit: the JVMs', perf's, the other phases' lingering ones. */
    private static final int FD_SPARE = 2_000;

    @Option(names = "--quick", description = "CI smoke variant: one repetition, workloads 1x64 and 50x1024, a 200-connection fan-out, short windows (under a minute)")
    private boolean quick;

    @Option(names = "--reps", description = "repetitions (default 3, quick 1)")
    private Integer reps;

    @Option(names = "--connections", split = ",", description = "connection counts (default 1,50,500)")
    private List<Integer> connections;

    @Option(names = "--sizes", split = ",", description = "message sizes in bytes (default 64,1024)")
    private List<Integer> sizes;

    @Option(names = "--cells", split = ",",
            description = "explicit workloads CONNECTIONSxSIZE instead of every connections x sizes pair (default: every pair and 5000x64; quick: 1x64,50x1024)")
    private List<String> cellList;

    @Option(names = "--warmup", converter = Durations.class, description = "load before each measured window (default 700ms, quick 200ms)")
    private Duration warmup;

    @Option(names = "--measure", converter = Durations.class, description = "measured window per workload (default 2s, quick 300ms)")
    private Duration measure;

    @Option(names = "--syscall-window", converter = Durations.class,
            description = "window with perf/strace attached, after the measured one; 0s skips it (default 700ms, quick 200ms)")
    private Duration syscallWindow;

    @Option(names = "--server-warmup", converter = Durations.class,
            description = "load after each server start, not measured, so JIT compilation is done (default 1500ms, quick 300ms)")
    private Duration serverWarmup;

    @Option(names = "--idle-connections", description = "idle connections held open to measure memory per connection and idle CPU; 0 skips it (default 500, quick 50)")
    private Integer idleConnections;

    @Option(names = "--idle-window", converter = Durations.class, description = "window of the idle CPU measurement (default 1s, quick 300ms)")
    private Duration idleWindow;

    @Option(names = "--fanout-connections",
            description = "idle connections of the fan-out measurement (broadcast cost per line, memory per connection); 0 skips it; "
                    + "lowered to what the open-files limit allows (default 9000, quick 200)")
    private Integer fanoutConnections;

    @Option(names = "--fanout-window", converter = Durations.class,
            description = "window of the fan-out measurement; span a few status intervals (default 10s, quick 1200ms)")
    private Duration fanoutWindow;

    @Option(names = "--status-interval", defaultValue = "1s", converter = Durations.class,
            description = "status broadcast interval given to every server (default ${DEFAULT-VALUE})")
    private Duration statusInterval;

    @Option(names = "--servers", description = "server list (default: bench/servers.conf under --root, else the one in the jar)")
    private Path serversFile;

    @Option(names = "--only", split = ",", description = "run only these servers (names from the list)")
    private List<String> only;

    @Option(names = "--root", defaultValue = ".", description = "repository root: relative paths of the server list start here (default: the working directory)")
    private Path root;

    @Option(names = "--out", defaultValue = "bench-results", description = "output directory (default ${DEFAULT-VALUE})")
    private Path out;

    @Option(names = "--name", description = "base name of the output files (default comparison, quick smoke)")
    private String name;

    @Option(names = "--server-cpu", defaultValue = "0", description = "CPU the servers are pinned to (default ${DEFAULT-VALUE})")
    private String serverCpu;

    @Option(names = "--client-cpu", defaultValue = "1", description = "CPU this load generator pins itself to (default ${DEFAULT-VALUE})")
    private String clientCpu;

    @Option(names = "--no-pin", description = "do not pin (the figures then mix server and client on shared CPUs)")
    private boolean noPin;

    @Option(names = "--jvm-flags", defaultValue = "--enable-native-access=ALL-UNNAMED -Xms256m -Xmx256m",
            description = "flags of every JVM server, {jvm.flags} in the list (default: ${DEFAULT-VALUE})")
    private String jvmFlags;

    @Option(names = "--syscalls", defaultValue = "auto", description = "auto, perf, strace or none (default ${DEFAULT-VALUE})")
    private String syscalls;

    @Option(names = "--client-threads", defaultValue = "1", description = "load generator threads (default ${DEFAULT-VALUE}: one core, one selector)")
    private int clientThreads;

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(new CommandLine(new Comparison()).execute(args));
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        applyDefaults();
        long startedNanos = System.nanoTime();
        root = root.toAbsolutePath().normalize();
        out = root.resolve(out).normalize();
        Files.createDirectories(out);
        String pinning = pin();
        SyscallCounter.Method method = switch (syscalls) {
            case "perf" -> SyscallCounter.Method.PERF;
            case "strace" -> SyscallCounter.Method.STRACE;
            case "none" -> SyscallCounter.Method.NONE;
            default -> SyscallCounter.Method.detect();
        };

        String fanoutLimit = limitFanout();
        Path cDir = out.resolve("c-floors");
        Map<String, String> cFailures = CFloors.build(cDir);
        Map<String, String> values = new LinkedHashMap<>();
        values.put("java", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        values.put("jvm.flags", jvmFlags);
        values.put("bench.cp", absoluteClassPath());
        values.put("c.dir", cDir.toString());
        values.put("status.interval", Durations.format(statusInterval));
        values.put("max.connections", Integer.toString(maxConnections()));

        List<ServerSpec> runnable = new ArrayList<>();
        Map<String, ServerOutcome> outcomes = new LinkedHashMap<>();
        for (ServerSpec spec : ServerSpec.load(serversFile, root)) {
            if (only != null && !only.contains(spec.name())) {
                continue;
            }
            List<String> command = spec.expand(values);
            Path required = spec.requiredFile(values, root);
            String cFailure = required == null ? null : cFailures.get(required.getFileName().toString());
            if (cFailure != null && required.startsWith(cDir)) {
                outcomes.put(spec.name(), ServerOutcome.skipped(spec.name(), cFailure, command));
            } else if (required != null && !Files.exists(required)) {
                outcomes.put(spec.name(), ServerOutcome.skipped(spec.name(), required + " does not exist (build it to include "
                        + spec.name() + ")", command));
            } else {
                runnable.add(spec);
                outcomes.put(spec.name(), new ServerOutcome(spec.name(), ServerOutcome.Status.RAN, null, command, null));
            }
        }
        if (only != null) {
            for (String n : only) {
                if (!outcomes.containsKey(n)) {
                    throw new CommandLine.ParameterException(new CommandLine(this), "--only: no server named " + n + " in the list");
                }
            }
        }

        List<Cell> cells = new ArrayList<>();
        if (cellList != null) {
            for (String c : cellList) {
                String[] parts = c.trim().toLowerCase(Locale.ROOT).split("x");
                if (parts.length != 2) {
                    throw new CommandLine.ParameterException(new CommandLine(this), "--cells: expected CONNECTIONSxSIZE, got " + c);
                }
                cells.add(new Cell(Integer.parseInt(parts[0]), Integer.parseInt(parts[1])));
            }
        } else {
            for (int c : connections) {
                for (int s : sizes) {
                    cells.add(new Cell(c, s));
                }
            }
        }
        Map<String, Object> config = config(pinning, method, cells, fanoutLimit);
        Map<String, Object> machine = machine(method, pinning);
        double estimate = runnable.size() * reps * (1.0 + serverWarmup.toMillis() / 1e3
                + (idleConnections > 0 ? 0.8 + idleWindow.toMillis() / 1e3 : 0)
                + (fanoutConnections > 0 ? 1.5 + fanoutWindow.toMillis() / 1e3 + fanoutConnections / 5_000.0 : 0)
                + cells.size() * ((warmup.toMillis() + measure.toMillis() + syscallWindow.toMillis()) / 1e3 + 0.4)
                + cells.stream().mapToInt(Cell::connections).sum() / 5_000.0);
        System.out.printf(Locale.ROOT, "comparison: %d servers x %d workloads x %d repetitions, about %.0f s; %s; syscalls: %s%n",
                runnable.size(), cells.size(), reps, estimate, pinning, method);
        for (ServerOutcome o : outcomes.values()) {
            if (o.status() == ServerOutcome.Status.SKIPPED) {
                System.out.println("  skipped " + o.name() + ": " + o.reason());
            }
        }
        if (fanoutLimit != null) {
            System.out.println("  " + fanoutLimit);
        }

        List<Sample> samples = new ArrayList<>();
        List<IdleSample> idle = new ArrayList<>();
        List<FanoutSample> fanout = new ArrayList<>();
        int total = runnable.size() * reps * cells.size();
        int done = 0;
        for (int rep = 0; rep < reps; rep++) {
            for (int i = 0; i < runnable.size(); i++) {
                // Each repetition starts with a different server, so drift over time (other load,
                // thermal state) does not always favour the same one.
                ServerSpec spec = runnable.get((i + rep) % runnable.size());
                ServerOutcome outcome = outcomes.get(spec.name());
                if (outcome.status() != ServerOutcome.Status.RAN) {
                    done += cells.size();
                    continue;
                }
                Path log = out.resolve("logs").resolve(spec.name() + "-" + (rep + 1) + ".log");
                ServerProcess server = null;
                try {
                    server = ServerProcess.start(outcome.command(), noPin ? null : serverCpu, root, log, 30_000);
                    outcomes.put(spec.name(), new ServerOutcome(spec.name(), ServerOutcome.Status.RAN, null, outcome.command(), server.readyLine()));
                    System.out.printf(Locale.ROOT, "[rep %d/%d] %s: %s (pid %d, CPUs %s)%n", rep + 1, reps, spec.name(),
                            server.readyLine(), server.pid(), ProcStat.allowedCpus(server.pid()));
                    warmUp(server, cells);
                    if (idleConnections > 0) {
                        IdleSample sample = idle(spec.name(), rep + 1, server);
                        idle.add(sample);
                        System.out.printf(Locale.ROOT, "  %-18s %d idle connections: %+.1f KiB RSS per connection, %.2f%% CPU%n",
                                spec.name(), sample.connections(), sample.kibPerConnection(), sample.cpuPercent());
                    }
                    if (fanoutConnections > 0) {
                        FanoutSample f = fanout(spec.name(), rep + 1, server);
                        if (!f.result().allVerified() && server.waitForExit(2_000) >= 0) {
                            f = new FanoutSample(f.server(), f.repetition(), f.result().withError("the server exited: "
                                    + ServerProcess.lastWords(log) + " (log: " + log + ")"), f.serverFdLimit());
                        }
                        fanout.add(f);
                        FanoutResult r = f.result();
                        System.out.printf(Locale.ROOT, "  %-18s fan-out to %d connections: %d ticks, %.3f us server CPU per line, %+.2f KiB RSS "
                                        + "per connection, spread p50 %.1f ms max %.1f ms  %s%n",
                                spec.name(), r.connections(), r.ticks(), r.serverCpuMicrosPerLine(), r.rssKiBPerConnection(),
                                r.spreadP50Millis(), r.spreadMaxMillis(), r.allVerified() ? "verified" : "NOT VERIFIED " + r.errors());
                        if (!server.isAlive()) {
                            // It could not hold the connections: a fresh start, so its workloads are still measured.
                            server.close();
                            log = out.resolve("logs").resolve(spec.name() + "-" + (rep + 1) + "-after-fanout.log");
                            server = ServerProcess.start(outcome.command(), noPin ? null : serverCpu, root, log, 30_000);
                            System.out.printf(Locale.ROOT, "  %-18s restarted after the fan-out: pid %d%n", spec.name(), server.pid());
                            warmUp(server, cells);
                        }
                    }
                    for (int k = 0; k < cells.size(); k++) {
                        Cell cell = cells.get((k + rep) % cells.size());
                        done++;
                        LoadResult r = load(server, cell, measure, warmup, syscallWindow, method,
                                String.format(Locale.ROOT, "%d/%d %s %s", done, total, spec.name(), cell.label()));
                        samples.add(new Sample(spec.name(), rep + 1, cell, r, ProcStat.rssKiB(server.pid())));
                        System.out.printf(Locale.ROOT, "  %3d/%d %-18s %-16s %9.3f us/msg server CPU  %,10.0f msg/s  p99 %8.1f us  %5.2f syscalls/msg  client CPU %3.0f%%  %s%n",
                                done, total, spec.name(), cell.label(), r.serverCpuMicrosPerMessage(), r.throughput(), r.p99Micros(),
                                r.syscallsPerMessage(), r.clientCpuPercent(), r.allVerified() ? "verified" : "NOT VERIFIED " + r.errors());
                        if (!server.isAlive()) {
                            throw new IOException("the server exited during " + cell.label() + " (log: " + log + ")");
                        }
                        if (!r.allVerified()) {
                            throw new IOException(cell.label() + ": " + String.join("; ", r.errors()) + " (failed connections "
                                    + r.failedConnections() + ", unfinished " + r.unfinished() + ")");
                        }
                    }
                } catch (ServerProcess.UnavailableException e) {
                    // Exit code 2 at start: this server cannot run here (e.g. a backend the jar lacks).
                    // Skipped with its reason if it never ran; a failure if it ran in an earlier repetition.
                    boolean ranBefore = samples.stream().anyMatch(x -> x.server().equals(spec.name()));
                    System.out.println("  " + (ranBefore ? "FAILED " : "skipped ") + spec.name() + ": " + e.getMessage());
                    outcomes.put(spec.name(), new ServerOutcome(spec.name(),
                            ranBefore ? ServerOutcome.Status.FAILED : ServerOutcome.Status.SKIPPED, e.getMessage(), outcome.command(), null));
                } catch (IOException e) {
                    System.out.println("  FAILED " + spec.name() + ": " + e.getMessage());
                    outcomes.put(spec.name(), new ServerOutcome(spec.name(), ServerOutcome.Status.FAILED, e.getMessage(), outcome.command(), null));
                } finally {
                    if (server != null) {
                        server.close();
                    }
                }
                Report.write(out, name, machine, config, outcomes, cells, samples, idle, fanout, (System.nanoTime() - startedNanos) / 1e9, false);
            }
        }
        double seconds = (System.nanoTime() - startedNanos) / 1e9;
        Report report = Report.write(out, name, machine, config, outcomes, cells, samples, idle, fanout, seconds, true);
        System.out.println();
        System.out.println(report.markdownTable());
        if (!fanout.isEmpty()) {
            System.out.println(report.fanoutTable());
            report.goals().forEach(g -> System.out.println("goal: " + g.line()));
        }
        System.out.printf(Locale.ROOT, "wrote %s, %s, %s in %.0f s%n", report.json(), report.markdown(), report.chart(), seconds);
        List<String> problems = report.problems(reps, idleConnections > 0, fanoutConnections > 0);
        if (!problems.isEmpty()) {
            System.out.println("INCOMPLETE:");
            problems.forEach(p -> System.out.println("  " + p));
            return 1;
        }
        System.out.println("complete: every server that could run ran every workload; every echo verified");
        return 0;
    }

    private LoadResult load(ServerProcess server, Cell cell, Duration window, Duration warm, Duration syscallWin,
            SyscallCounter.Method method, String label) throws IOException, InterruptedException {
        InetSocketAddress target = server.address();
        LoadSpec spec = new LoadSpec(target, cell.connections(), cell.size(), 0, warm, window, syscallWin,
                Duration.ofSeconds(5), clientThreads, 64);
        boolean console = stdoutIsTerminal();
        LoadResult r = new LoadRun(spec, server.pid(), method, line -> {
            // On a terminal a live line per second; in a log only the per-workload result lines.
            if (console) {
                System.out.print("\r  " + label + "  " + line + "   \r");
                System.out.flush();
            }
        }).run();
        if (console) {
            System.out.print("\r" + " ".repeat(label.length() + 60) + "\r");
        }
        return r;
    }

    /** Opens idle connections to {@code server}, measures its RSS growth and idle CPU, closes them. */
    private IdleSample idle(String serverName, int repetition, ServerProcess server) throws IOException, InterruptedException {
        List<SocketChannel> open = new ArrayList<>();
        try {
            // The warm-up just ended: let its garbage and compilations settle before the baseline.
            Thread.sleep(300);
            long rssBefore = ProcStat.rssKiB(server.pid());
            for (int i = 0; i < idleConnections; i++) {
                open.add(SocketChannel.open(server.address()));
            }
            // Let the server accept them all and arm its receives before anything is measured.
            Thread.sleep(300);
            long rssAfter = ProcStat.rssKiB(server.pid());
            long cpu0 = ProcStat.runNanos(server.pid());
            long t0 = System.nanoTime();
            Thread.sleep(idleWindow.toMillis());
            long cpu = ProcStat.runNanos(server.pid()) - cpu0;
            long elapsed = System.nanoTime() - t0;
            return new IdleSample(serverName, repetition, idleConnections, rssBefore, rssAfter, cpu * 100.0 / elapsed);
        } finally {
            for (SocketChannel c : open) {
                c.close();
            }
        }
    }

    /** Load after a server start, not measured, so the JIT has compiled the hot path. */
    private void warmUp(ServerProcess server, List<Cell> cells) throws IOException, InterruptedException {
        if (serverWarmup.isZero()) {
            return;
        }
        LoadResult w = load(server, new Cell(Math.min(50, cells.stream().mapToInt(Cell::connections).max().orElse(1)), 64),
                serverWarmup, Duration.ZERO, Duration.ZERO, SyscallCounter.Method.NONE, "warm-up");
        if (!w.allVerified()) {
            throw new IOException("server warm-up: " + String.join("; ", w.errors()) + " (unfinished " + w.unfinished() + ")");
        }
    }

    /** Holds {@code --fanout-connections} idle connections to {@code server} over the fan-out window, see {@link FanoutRun}. */
    private FanoutSample fanout(String serverName, int repetition, ServerProcess server) throws IOException, InterruptedException {
        // The connections of the phase before were just closed: let the server release them before the baseline.
        Duration settle = Duration.ofMillis(quick ? 100 : 300);
        Thread.sleep(settle.toMillis());
        long serverLimit = ProcStat.openFilesLimit(server.pid());
        FanoutResult r = new FanoutRun(server.address(), fanoutConnections, fanoutWindow, statusInterval, server.pid(), settle).run();
        return new FanoutSample(serverName, repetition, r, serverLimit);
    }

    /**
     * Lowers {@code --fanout-connections} to what the open-files limit allows: the client's and the
     * server's ends both count (the limit here is meant for the machine's whole run, and a server
     * inherits this JVM's limit, which the JVM raised to the hard one), with room for the JVMs' own
     * files. Returns the note for the report when it lowered it, else null.
     */
    private String limitFanout() {
        long limit = ProcStat.openFilesLimit(ProcessHandle.current().pid());
        if (fanoutConnections <= 0 || limit <= 0) {
            return null;
        }
        int allowed = (int) Math.max(0, Math.min(Integer.MAX_VALUE, (limit - FD_SPARE) / 2));
        if (allowed >= fanoutConnections) {
            return null;
        }
        String note = String.format(Locale.ROOT, "fan-out at %,d connections instead of %,d: fd limit %,d (client and server ends both count, "
                + "%,d kept spare)", allowed, fanoutConnections, limit, FD_SPARE);
        fanoutConnections = allowed;
        return note;
    }

    /** {max.connections} of the server list: room for the largest phase, never below oneloop's default. */
    private int maxConnections() {
        int most = Math.max(fanoutConnections, idleConnections);
        List<String> explicit = cellList == null ? List.of() : cellList;
        for (String c : explicit) {
            String[] parts = c.trim().toLowerCase(Locale.ROOT).split("x");
            most = Math.max(most, parts.length == 2 && parts[0].matches("\\d+") ? Integer.parseInt(parts[0]) : 0);
        }
        for (int c : connections) {
            most = Math.max(most, c);
        }
        return Math.max(10_000, most + 1_000);
    }

    /**
     * Whether standard output is a terminal, for the live progress line. Not System.console(): on
     * recent JDKs that may start a line editor that reads standard input, which under Surefire is
     * the channel the forked test JVM receives its commands on.
     */
    private static boolean stdoutIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/1")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static String absoluteClassPath() {
        List<String> entries = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            entries.add(Path.of(e).toAbsolutePath().toString());
        }
        return String.join(File.pathSeparator, entries);
    }

    private void applyDefaults() {
        if (reps == null) {
            reps = quick ? 1 : 3;
        }
        if (cellList == null && quick) {
            cellList = List.of("1x64", "50x1024");
        } else if (cellList == null && connections == null && sizes == null) {
            cellList = List.of("1x64", "1x1024", "50x64", "50x1024", "500x64", "500x1024", "5000x64");
        }
        if (connections == null) {
            connections = List.of(1, 50, 500);
        }
        if (sizes == null) {
            sizes = List.of(64, 1024);
        }
        if (warmup == null) {
            warmup = Duration.ofMillis(quick ? 200 : 700);
        }
        if (measure == null) {
            measure = Duration.ofMillis(quick ? 300 : 2000);
        }
        if (syscallWindow == null) {
            syscallWindow = Duration.ofMillis(quick ? 200 : 700);
        }
        if (serverWarmup == null) {
            serverWarmup = Duration.ofMillis(quick ? 300 : 1500);
        }
        if (name == null) {
            name = quick ? "smoke" : "comparison";
        }
        if (idleConnections == null) {
            idleConnections = quick ? 50 : 500;
        }
        if (idleWindow == null) {
            idleWindow = Duration.ofMillis(quick ? 300 : 1000);
        }
        if (fanoutConnections == null) {
            fanoutConnections = quick ? 200 : 9_000;
        }
        if (fanoutWindow == null) {
            fanoutWindow = Duration.ofMillis(quick ? 1200 : 10_000);
        }
    }

    /** Pins this process to the client CPU, so its threads never share the server's. */
    private String pin() {
        int online = onlineCpus();
        if (noPin) {
            return "not pinned (--no-pin)";
        }
        if (online < 2) {
            noPin = true;
            return "not pinned: " + online + " CPU online";
        }
        try {
            // -a: every thread of this JVM that exists now; threads started later inherit it.
            Process p = new ProcessBuilder("taskset", "-a", "-p", "-c", clientCpu, Long.toString(ProcessHandle.current().pid()))
                    .redirectErrorStream(true).start();
            String o = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                noPin = true;
                return "not pinned: taskset failed: " + o.strip();
            }
        } catch (IOException e) {
            noPin = true;
            return "not pinned: taskset not found (util-linux)";
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            noPin = true;
            return "not pinned: interrupted";
        }
        return "server pinned to CPU " + serverCpu + ", load generator to CPU " + clientCpu + " (taskset), of " + online + " online";
    }

    private static int onlineCpus() {
        try {
            String online = Files.readString(Path.of("/sys/devices/system/cpu/online")).strip();
            int count = 0;
            for (String range : online.split(",")) {
                String[] ends = range.split("-");
                count += ends.length == 1 ? 1 : Integer.parseInt(ends[1]) - Integer.parseInt(ends[0]) + 1;
            }
            return count;
        } catch (IOException | NumberFormatException e) {
            return Runtime.getRuntime().availableProcessors();
        }
    }

    private Map<String, Object> config(String pinning, SyscallCounter.Method method, List<Cell> cells, String fanoutLimit) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("quick", quick);
        c.put("repetitions", reps);
        c.put("workloads", cells.stream().map(Cell::label).toList());
        c.put("loop", "closed: each connection sends its next message when the whole echo of the previous one arrived");
        c.put("warmup", Durations.format(warmup));
        c.put("measure", Durations.format(measure));
        c.put("syscallWindow", Durations.format(syscallWindow));
        c.put("serverWarmup", Durations.format(serverWarmup));
        c.put("idleConnections", idleConnections);
        c.put("idleWindow", Durations.format(idleWindow));
        c.put("fanoutConnections", fanoutConnections);
        c.put("fanoutWindow", Durations.format(fanoutWindow));
        c.put("fanoutLimit", fanoutLimit);
        c.put("statusInterval", Durations.format(statusInterval));
        c.put("clientThreads", clientThreads);
        c.put("jvmFlags", jvmFlags);
        c.put("pinning", pinning);
        c.put("syscallCounter", method.toString());
        c.put("command", ProcessHandle.current().info().commandLine().orElse("?"));
        return c;
    }

    private Map<String, Object> machine(SyscallCounter.Method method, String pinning) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu", cpuModel());
        m.put("onlineCpus", onlineCpus());
        m.put("kernel", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        m.put("gcc", CFloors.gccVersion());
        m.put("syscallCounter", method.toString());
        m.put("pinning", pinning);
        m.put("date", Instant.now().toString());
        m.put("gitCommit", gitCommit());
        return m;
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("?");
        } catch (IOException e) {
            return "?";
        }
    }

    private String gitCommit() {
        try {
            Process p = new ProcessBuilder("git", "-C", root.toString(), "rev-parse", "--short", "HEAD").redirectErrorStream(true).start();
            String o = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.waitFor() == 0 ? o : "?";
        } catch (IOException e) {
            return "?";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }
}
