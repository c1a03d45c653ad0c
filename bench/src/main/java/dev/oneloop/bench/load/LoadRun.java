package dev.oneloop.bench.load;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.HdrHistogram.Histogram;

/**
 * Runs one {@link LoadSpec} against a server process and measures it: warm-up, the measured window
 * (throughput, latency, server and client CPU), then a window with a syscall counter attached,
 * then a drain that waits for every outstanding echo.
 */
public final class LoadRun {

    private static final long CONNECT_TIMEOUT_MILLIS = 5_000;

    private final LoadSpec spec;
    private final long serverPid;
    private final SyscallCounter.Method syscallMethod;
    private final Consumer<String> progress;
    private final long selfPid = ProcessHandle.current().pid();

    /**
     * @param serverPid     the server's process id for its CPU and syscalls, or -1 to measure the client only
     * @param syscallMethod how to count the server's syscalls ({@link SyscallCounter.Method#NONE} to skip)
     * @param progress      receives a line about once a second while the run goes on
     */
    public LoadRun(LoadSpec spec, long serverPid, SyscallCounter.Method syscallMethod, Consumer<String> progress) {
        this.spec = spec;
        this.serverPid = serverPid;
        this.syscallMethod = serverPid > 0 && !spec.syscallWindow().isZero() ? syscallMethod : SyscallCounter.Method.NONE;
        this.progress = progress;
    }

    public LoadResult run() throws IOException, InterruptedException {
        Payload payload = new Payload(spec.messageSize(), 0x5eed_0000L + spec.messageSize());
        int threads = Math.min(spec.clientThreads(), spec.connections());
        long ratePerThread = spec.ratePerSecond() / threads;
        List<ClientLoop> loops = new ArrayList<>();
        List<Thread> running = new ArrayList<>();
        SyscallCounter counter = null;
        try {
            for (int t = 0; t < threads; t++) {
                loops.add(new ClientLoop(spec, payload, (int) Math.max(1, ratePerThread)));
            }
            connect(loops);
            Timeline timeline = Timeline.of(System.nanoTime(), spec);
            for (int t = 0; t < threads; t++) {
                loops.get(t).begin(timeline);
                running.add(Thread.ofPlatform().name("load-client-" + t).start(loops.get(t)));
            }
            if (syscallMethod == SyscallCounter.Method.PERF) {
                counter = SyscallCounter.attach(syscallMethod, serverPid); // attached, disabled, during warm-up
            }
            waitUntil(timeline.recordFrom(), "warm-up", loops, timeline.start());

            long messages0 = completed(loops);
            double server0 = serverCpu();
            double client0 = ProcStat.cpuSeconds(selfPid);
            long wall0 = System.nanoTime();
            waitUntil(timeline.recordUntil(), "measure", loops, timeline.recordFrom());
            long messages1 = completed(loops);
            double server1 = serverCpu();
            double client1 = ProcStat.cpuSeconds(selfPid);
            long wall1 = System.nanoTime();

            SyscallCounter.Counts syscalls = null;
            long syscallMessages = 0;
            if (syscallMethod != SyscallCounter.Method.NONE) {
                if (counter == null) {
                    counter = SyscallCounter.attach(syscallMethod, serverPid);
                }
                counter.enable();
                long m0 = completed(loops);
                waitUntil(timeline.stopSending(), "syscalls", loops, timeline.recordUntil());
                counter.disable();
                syscallMessages = completed(loops) - m0;
                syscalls = counter.finish();
            }
            waitUntil(timeline.stopSending(), "syscalls", loops, timeline.recordUntil());
            for (Thread t : running) {
                t.join(TimeUnit.NANOSECONDS.toMillis(timeline.drainDeadline() - System.nanoTime()) + 5_000);
                if (t.isAlive()) {
                    throw new IOException("client thread " + t.getName() + " did not finish after the drain deadline");
                }
            }
            return result(loops, messages1 - messages0, (wall1 - wall0) / 1e9, server1 - server0, client1 - client0,
                    syscalls, syscallMessages);
        } finally {
            for (ClientLoop loop : loops) {
                loop.abort();
            }
            for (Thread t : running) {
                t.join(10_000);
            }
            if (counter != null) {
                counter.close();
            }
        }
    }

    private void connect(List<ClientLoop> loops) throws IOException {
        for (int i = 0; i < spec.connections(); i++) {
            SocketChannel ch = SocketChannel.open();
            try {
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.socket().connect(spec.target(), (int) CONNECT_TIMEOUT_MILLIS);
            } catch (IOException e) {
                ch.close();
                throw new IOException("connection " + i + " to " + spec.target() + ": " + e.getMessage(), e);
            }
            loops.get(i % loops.size()).add(new ClientConnection(i, ch, spec.maxInFlight()));
        }
    }

    private double serverCpu() throws IOException {
        return serverPid > 0 ? ProcStat.cpuSeconds(serverPid) : Double.NaN;
    }

    private static long completed(List<ClientLoop> loops) {
        long sum = 0;
        for (ClientLoop l : loops) {
            sum += l.completed.get();
        }
        return sum;
    }

    private void waitUntil(long deadline, String phase, List<ClientLoop> loops, long phaseStart) throws InterruptedException {
        long lastCount = completed(loops);
        long lastTime = System.nanoTime();
        while (true) {
            long now = System.nanoTime();
            if (now >= deadline) {
                return;
            }
            TimeUnit.NANOSECONDS.sleep(Math.min(deadline - now, TimeUnit.SECONDS.toNanos(1)));
            long count = completed(loops);
            long time = System.nanoTime();
            progress.accept(String.format(Locale.ROOT, "%-8s %5.1f/%.1f s  %,10.0f msg/s", phase, (time - phaseStart) / 1e9,
                    (deadline - phaseStart) / 1e9, (count - lastCount) / ((time - lastTime) / 1e9)));
            lastCount = count;
            lastTime = time;
        }
    }

    private LoadResult result(List<ClientLoop> loops, long messages, double seconds, double serverCpu, double clientCpu,
            SyscallCounter.Counts syscalls, long syscallMessages) {
        Histogram h = new Histogram(ClientLoop.MAX_LATENCY_NANOS, 3);
        long completedTotal = 0;
        long statusLines = 0;
        long failed = 0;
        long unfinished = 0;
        long skipped = 0;
        List<String> errors = new ArrayList<>();
        for (ClientLoop l : loops) {
            h.add(l.latencies);
            completedTotal += l.completed.get();
            statusLines += l.statusLines;
            failed += l.failedConnections;
            unfinished += l.unfinished;
            skipped += l.skipped;
            errors.addAll(l.errors);
        }
        double perMessage = messages > 0 ? serverCpu * 1e6 / messages : Double.NaN;
        return new LoadResult(seconds, messages, messages / seconds,
                h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3, h.getValueAtPercentile(99.9) / 1e3,
                h.getMaxValue() / 1e3, serverCpu, perMessage, serverCpu * 100 / seconds, clientCpu * 100 / seconds,
                syscalls, syscallMessages, completedTotal, statusLines, failed, unfinished, skipped, List.copyOf(errors));
    }
}
