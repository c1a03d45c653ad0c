package dev.oneloop.bench.jmh;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.BackendSelectionException;
import dev.oneloop.backend.Backends;
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
 * The loop's own overhead with nothing to do, on a backend with one armed listener:
 * {@code pollNoWait} is one non-blocking {@code poll}; {@code wakeupRoundTrip} wakes a loop thread
 * blocked in {@code poll(WAIT_FOREVER)} from this thread and waits (spinning) until it has come
 * back around, so it is the cross-thread wake-up latency plus one loop turn. The loop thread's CPU
 * and allocation per wake-up are reported by {@link LoopCost}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms512m", "-Xmx512m"})
public class IdleLoopBenchmark {

    private static final BackendConfig CONFIG = new BackendConfig(16, 16 << 10);

    /** No callback is expected on an idle backend; one would be a bug, so it fails loudly. */
    private static final Backend.Handler NOTHING_EXPECTED = new Backend.Handler() {
        @Override
        public void onAccept(int listener, int connection) {
            throw new IllegalStateException("accept on an idle benchmark backend");
        }

        @Override
        public void onAcceptError(int listener, IOException error) {
            throw new IllegalStateException(error);
        }

        @Override
        public void onRead(int connection, ByteBuffer data) {
            throw new IllegalStateException("read on an idle benchmark backend");
        }

        @Override
        public void onEof(int connection) {
            throw new IllegalStateException("EOF on an idle benchmark backend");
        }

        @Override
        public void onWritten(int connection) {
            throw new IllegalStateException("write on an idle benchmark backend");
        }

        @Override
        public void onError(int connection, IOException error) {
            throw new IllegalStateException(error);
        }
    };

    @Param({"nio", "epoll", "iouring", "iouring-netty"})
    public String backend;

    /** Opened by the benchmark thread (JMH runs a thread-scoped state's fixtures on it): its loop thread. */
    private Backend polled;

    private Backend looped;
    private Thread loopThread;
    private final AtomicLong turns = new AtomicLong();
    private volatile boolean running = true;
    private volatile Throwable loopFailure;

    @Setup(Level.Trial)
    public void start() throws IOException, BackendSelectionException, InterruptedException, ExecutionException {
        polled = openListening();
        CompletableFuture<Backend> opened = new CompletableFuture<>();
        loopThread = Thread.ofPlatform().name("idle-loop-" + backend).start(() -> {
            try (Backend b = openListening()) {
                opened.complete(b);
                while (running) {
                    b.poll(Backend.WAIT_FOREVER, NOTHING_EXPECTED);
                    turns.incrementAndGet();
                }
            } catch (IOException | BackendSelectionException | RuntimeException e) {
                loopFailure = e;
                opened.completeExceptionally(e);
            }
        });
        looped = opened.get();
    }

    @TearDown(Level.Trial)
    public void stop() throws InterruptedException {
        running = false;
        looped.wakeup();
        loopThread.join(10_000);
        polled.close();
    }

    /** A backend with one listener on an ephemeral loopback port, acceptance armed: an idle server. */
    private Backend openListening() throws IOException, BackendSelectionException {
        Backend b = Backends.open(backend, CONFIG);
        try {
            b.accept(b.listen(new InetSocketAddress("127.0.0.1", 0), 16));
            return b;
        } catch (IOException | RuntimeException e) {
            b.close();
            throw e;
        }
    }

    @Benchmark
    public int pollNoWait() throws IOException {
        return polled.poll(Backend.NO_WAIT, NOTHING_EXPECTED);
    }

    @Benchmark
    public long wakeupRoundTrip(LoopCost cost) {
        long before = turns.get();
        looped.wakeup();
        long spins = 0;
        long deadline = 0;
        long now;
        while ((now = turns.get()) == before) {
            Thread.onSpinWait();
            // A lost wake-up must fail the benchmark, not hang it.
            if ((++spins & 0xffff) == 0) {
                if (deadline == 0) {
                    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                } else if (System.nanoTime() > deadline || loopFailure != null) {
                    throw new IllegalStateException("the loop did not come back within 5 s of a wakeup", loopFailure);
                }
            }
        }
        cost.count(loopThread, 1);
        return now;
    }
}
