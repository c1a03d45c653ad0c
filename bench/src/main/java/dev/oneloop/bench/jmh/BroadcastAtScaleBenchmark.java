package dev.oneloop.bench.jmh;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import dev.oneloop.backend.BackendSelectionException;
import dev.oneloop.server.BroadcastStats;
import dev.oneloop.server.EchoServerThread;
import dev.oneloop.server.ServerConfig;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One status broadcast to {@code connections} idle connections (10,000 by default, the default
 * {@code --max-connections}), timed by the server itself from the tick to the last line handed to
 * the backend ({@link BroadcastStats}). The clients live in a child JVM ({@link FanOutClients}) that
 * reads everything, because both ends of 10,000 connections do not fit one process's 20,000
 * descriptors.
 *
 * <p>One operation is one broadcast, so the primary score is the status interval; the figures to
 * read are the secondary ones, totals over the measured iterations: {@code broadcastNanos /
 * broadcasts} is the mean duration of one broadcast ({@code broadcastCpuNanos / broadcasts} its loop
 * thread CPU time, which on a shared machine is the steadier figure), {@code allocatedInBroadcasts} the bytes the
 * loop thread allocated inside them (0), {@code loopAllocated} everything the loop thread allocated
 * meanwhile (the broadcasts and their write completions). Each iteration also prints p50 and max.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms512m", "-Xmx512m"})
public class BroadcastAtScaleBenchmark {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Param({"nio", "epoll", "iouring-netty"})
    public String backend;

    @Param({"10000"})
    public int connections;

    @Param({"500"})
    public int intervalMillis;

    private EchoServerThread server;
    private Process clients;
    private BroadcastStats stats;

    /** Totals of an iteration, read by JMH after it. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Figures {
        private long countAtMark = -1;
        private long allocatedAtMark;
        private long loopAtMark;
        public long broadcasts;
        public long broadcastNanos;
        public long broadcastCpuNanos;
        public long allocatedInBroadcasts;
        public long loopAllocated;

        @Setup(Level.Iteration)
        public void reset() {
            countAtMark = -1;
            broadcasts = 0;
            broadcastNanos = 0;
            broadcastCpuNanos = 0;
            allocatedInBroadcasts = 0;
            loopAllocated = 0;
        }
    }

    @Setup(Level.Trial)
    public void start() throws IOException, BackendSelectionException, InterruptedException {
        server = EchoServerThread.start(backend, ServerConfig.DEFAULTS.withPort(0)
                .withStatusInterval(Duration.ofMillis(intervalMillis)).withMaxConnections(Math.max(connections, 10_000)));
        clients = FanOutClients.start(server.address(), connections, 600);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (server.server().activeConnections() < connections) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the server accepted " + server.server().activeConnections() + " of " + connections);
            }
            Thread.sleep(1);
        }
        stats = server.server().broadcastStats();
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
        clients.getOutputStream().close();
        clients.destroy();
        server.close();
    }

    @TearDown(Level.Iteration)
    public void report() {
        int last = (int) Math.max(1, TimeUnit.SECONDS.toMillis(5) / intervalMillis); // about one iteration
        System.out.printf(Locale.ROOT, "broadcast to %d connections: p50 %.0f us, max %.0f us over the last %d%n",
                stats.lastConnections(), stats.percentileNanos(50, last) / 1e3, stats.percentileNanos(100, last) / 1e3, last);
    }

    /** Waits for the next broadcast to finish and adds its figures. */
    @Benchmark
    public long broadcast(Figures figures) throws InterruptedException {
        long before = stats.count();
        while (stats.count() == before) {
            Thread.sleep(0, 200_000);
        }
        long loopThread = server.thread().threadId();
        if (figures.countAtMark < 0) {
            // The first operation of an iteration only marks the start.
            figures.countAtMark = stats.count();
            figures.allocatedAtMark = stats.allocatedBytes();
            figures.loopAtMark = THREADS.getThreadAllocatedBytes(loopThread);
            return before;
        }
        if (stats.lastConnections() != connections) {
            throw new IllegalStateException("broadcast to " + stats.lastConnections() + " connections, expected " + connections);
        }
        figures.broadcasts++;
        figures.broadcastNanos += stats.lastNanos();
        figures.broadcastCpuNanos += stats.lastCpuNanos();
        figures.allocatedInBroadcasts = stats.allocatedBytes() - figures.allocatedAtMark;
        figures.loopAllocated = THREADS.getThreadAllocatedBytes(loopThread) - figures.loopAtMark;
        return before;
    }
}
