package dev.oneloop.backend.iouring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.Handles;
import dev.oneloop.backend.testing.HandlerAdapter;
import dev.oneloop.backend.testing.LoopbackClient;
import dev.oneloop.backend.testing.RequiredBackends;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The ring's own edge cases, each forced with a ring or buffer pool sized to hit it: a full SQ, an
 * overflowing CQ, an exhausted buffer ring, a cancel racing a completion, timed waits, wakeups.
 * The backend is driven on the test's thread; every loop is bounded in count and time.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IoUringRingTest {

    private static final Duration SOON = Duration.ofSeconds(10);

    private final List<AutoCloseable> resources = new ArrayList<>();

    @BeforeAll
    static void ioUringIsAvailable() {
        RequiredBackends.provider(IoUringBackendProvider.NAME);
    }

    @AfterEach
    void closeEverything() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    @Test
    void aFullSubmissionQueueIsHandedToTheKernelEarlyAndNothingIsLost() throws Exception {
        IoUringBackend backend = open(new BackendConfig(64, 256), 8, 64);
        Bytes handler = new Bytes(backend, true);
        List<LoopbackClient> clients = connect(backend, handler, 40);
        for (int connection : handler.accepted) {
            backend.read(connection); // 40 RECVs in one turn, into an 8-entry SQ
        }
        assertThat(backend.ring().fullSqFlushes).isPositive();
        for (int i = 0; i < clients.size(); i++) {
            clients.get(i).send(new byte[] {(byte) i});
        }
        pollUntil(backend, handler, () -> handler.total() == clients.size());
        for (int i = 0; i < clients.size(); i++) {
            assertThat(handler.bytes(handler.accepted.get(i))).containsExactly((byte) i);
        }
    }

    @Test
    void anOverflowingCompletionQueueLosesNoCompletion() throws Exception {
        IoUringBackend backend = open(new BackendConfig(128, 256, 256), 16, 16);
        Bytes handler = new Bytes(backend, true);
        List<LoopbackClient> clients = connect(backend, handler, 60);
        for (int connection : handler.accepted) {
            backend.read(connection);
        }
        backend.poll(Backend.NO_WAIT, handler); // the RECVs are in the kernel, waiting
        byte[][] sent = new byte[clients.size()][];
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < clients.size(); i++) {
            sent[i] = new byte[1000];
            random.nextBytes(sent[i]);
            clients.get(i).send(sent[i]); // with DEFER_TASKRUN all of it completes inside the next enter: > 16 CQEs
        }
        Thread.sleep(100);
        pollUntil(backend, handler, () -> handler.total() == 60 * 1000);
        assertThat(backend.ring().overflowFlushes).as("CQ overflow flushes").isPositive();
        for (int i = 0; i < clients.size(); i++) {
            assertThat(handler.bytes(handler.accepted.get(i))).isEqualTo(sent[i]);
        }
    }

    @Test
    void manyConnectionsShareATinyBufferRingWithoutLosingBytesOrSpinning() throws Exception {
        IoUringBackend backend = open(new BackendConfig(64, 256, 2), 64, 256);
        Bytes handler = new Bytes(backend, true);
        List<LoopbackClient> clients = connect(backend, handler, 30);
        for (int connection : handler.accepted) {
            backend.read(connection);
        }
        byte[][] sent = new byte[clients.size()][];
        SplittableRandom random = new SplittableRandom(2);
        for (int i = 0; i < clients.size(); i++) {
            sent[i] = new byte[16 * 1024];
            random.nextBytes(sent[i]);
            clients.get(i).send(sent[i]);
        }
        long polls = pollUntil(backend, handler, () -> handler.total() == 30L * 16 * 1024);
        for (int i = 0; i < clients.size(); i++) {
            assertThat(handler.bytes(handler.accepted.get(i))).as("bytes of connection %d", i).isEqualTo(sent[i]);
        }
        // 480 KiB through 256-byte buffers is at least 1920 receives; a spinning loop makes far more polls.
        assertThat(polls).as("polls").isLessThan(20_000);
        assertThat(backend.buffersInUse()).as("buffers pinned by idle connections").isZero();
    }

    @Test
    void aConnectionThatStopsReadingPinsAtMostAFewBuffersAndGetsItsBytesLater() throws Exception {
        IoUringBackend backend = open(new BackendConfig(16, 16 * 1024, 64), 64, 256);
        Bytes handler = new Bytes(backend, false); // does not re-arm
        List<LoopbackClient> clients = connect(backend, handler, 1);
        int connection = handler.accepted.get(0);
        backend.read(connection);
        byte[] data = new byte[32 * 1024 * 1024]; // more than loopback's socket buffers hold
        new SplittableRandom(3).nextBytes(data);
        Thread sender = Thread.ofPlatform().daemon().start(() -> {
            try {
                clients.get(0).send(data);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        pollUntil(backend, handler, () -> handler.total() > 0);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
        while (System.nanoTime() < deadline) {
            backend.poll(TimeUnit.MILLISECONDS.toNanos(20), handler);
        }
        assertThat(backend.buffersInUse()).as("buffers held for a connection that is not reading").isBetween(0, 2);
        assertThat(sender.isAlive()).as("the sender is blocked: TCP pushed back").isTrue();
        deadline = System.nanoTime() + SOON.toNanos();
        while (handler.total() < data.length && System.nanoTime() < deadline) {
            if (handler.idle(connection)) {
                backend.read(connection);
            }
            backend.poll(TimeUnit.MILLISECONDS.toNanos(10), handler);
        }
        sender.join(SOON.toMillis());
        assertThat(handler.bytes(connection)).isEqualTo(data);
    }

    @Test
    void aCloseRacingACompletionNeverDeliversIt() throws Exception {
        IoUringBackend backend = open(new BackendConfig(4, 256, 16), 64, 256);
        Bytes handler = new Bytes(backend, true);
        int listener = backend.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        backend.accept(listener);
        InetSocketAddress address = backend.localAddress(listener);
        for (int cycle = 0; cycle < 100; cycle++) {
            try (LoopbackClient client = LoopbackClient.connect(address)) {
                int before = handler.accepted.size();
                pollUntil(backend, handler, () -> handler.accepted.size() > before);
                int connection = handler.accepted.get(before);
                backend.read(connection);
                backend.poll(Backend.NO_WAIT, handler); // the RECV is in the kernel
                client.send(new byte[] {1, 2, 3});
                if (cycle % 2 == 0) {
                    Thread.sleep(1); // the data has arrived: its completion and the cancel meet in one enter
                }
                backend.write(connection, ByteBuffer.allocateDirect(64 * 1024));
                backend.close(connection);
                handler.closed.add(connection);
                backend.poll(Backend.NO_WAIT, handler);
            }
        }
        backend.poll(TimeUnit.MILLISECONDS.toNanos(50), handler);
        assertThat(handler.callbacksAfterClose).isZero();
        assertThat(backend.buffersInUse()).isZero();
        assertThat(backend.openHandles()).isEqualTo(1);
    }

    @Test
    void aTimedPollNeverReturnsEarly() throws Exception {
        IoUringBackend backend = open(new BackendConfig(4, 256, 16), 64, 256);
        Bytes handler = new Bytes(backend, true);
        backend.poll(Backend.NO_WAIT, handler);
        long[] timeouts = {1, 999, 100_000, 1_000_000, 1_500_001, 3_000_000, 10_000_000};
        for (int round = 0; round < 10; round++) {
            for (long timeout : timeouts) {
                long start = System.nanoTime();
                backend.poll(timeout, handler);
                long elapsed = System.nanoTime() - start;
                assertThat(elapsed).as("poll(%d ns)", timeout).isGreaterThanOrEqualTo(timeout)
                        .isLessThan(timeout + TimeUnit.MILLISECONDS.toNanos(500));
            }
        }
    }

    @Test
    void aWakeupFromAnotherThreadIsNeverLostEvenJustBeforePoll() throws Exception {
        IoUringBackend backend = open(new BackendConfig(4, 256, 16), 64, 256);
        Bytes handler = new Bytes(backend, true);
        for (int i = 0; i < 200; i++) {
            Thread waker = Thread.ofPlatform().start(backend::wakeup);
            waker.join();
            long start = System.nanoTime();
            backend.poll(TimeUnit.SECONDS.toNanos(5), handler);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("poll after wakeup %d", i).isLessThan(Duration.ofSeconds(1));
        }
        for (int i = 0; i < 20; i++) { // wakeups while the loop waits
            Thread waker = Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
                backend.wakeup();
            });
            long start = System.nanoTime();
            backend.poll(TimeUnit.SECONDS.toNanos(5), handler);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
            waker.join();
        }
        assertThat(handler.total()).isZero();
    }

    @Test
    void closingTheWholeBackendFromACallbackEndsThatPollSafely() throws Exception {
        IoUringBackend backend = open(new BackendConfig(8, 256, 16), 64, 256);
        Bytes handler = new Bytes(backend, true);
        List<LoopbackClient> clients = connect(backend, handler, 2);
        for (int connection : handler.accepted) {
            backend.read(connection);
        }
        backend.poll(Backend.NO_WAIT, handler);
        clients.get(0).send(new byte[] {1});
        clients.get(1).send(new byte[] {2});
        Thread.sleep(50); // both reads complete in the same enter
        Backend.Handler closer = new HandlerAdapter() {
            @Override
            public void onRead(int connection, ByteBuffer data) {
                backend.read(connection);
                backend.close();
            }
        };
        assertThat(backend.poll(TimeUnit.SECONDS.toNanos(5), closer)).isEqualTo(1);
        for (LoopbackClient client : clients) {
            assertThat(client.awaitClosedByPeer(SOON)).isTrue();
        }
    }

    // ---- helpers

    private IoUringBackend open(BackendConfig config, int sq, int cq) throws IOException {
        IoUringBackend backend = new IoUringBackend(config, sq, cq);
        resources.add(backend);
        return backend;
    }

    private List<LoopbackClient> connect(IoUringBackend backend, Bytes handler, int count) throws Exception {
        int listener = backend.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), count);
        backend.accept(listener);
        InetSocketAddress address = backend.localAddress(listener);
        List<LoopbackClient> clients = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            LoopbackClient client = LoopbackClient.connect(address);
            resources.add(client);
            clients.add(client);
            int expected = i + 1;
            pollUntil(backend, handler, () -> handler.accepted.size() == expected);
        }
        return clients;
    }

    private static long pollUntil(Backend backend, Backend.Handler handler, BooleanSupplier done) throws IOException {
        long deadline = System.nanoTime() + SOON.toNanos();
        long polls = 0;
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition reached within %s", SOON).isLessThan(deadline);
            backend.poll(TimeUnit.MILLISECONDS.toNanos(10), handler);
            polls++;
        }
        return polls;
    }

    /** Collects every connection's bytes; re-arms each read at once if asked to. */
    private static final class Bytes implements Backend.Handler {
        final Backend backend;
        final boolean rearm;
        final List<Integer> accepted = new ArrayList<>();
        final List<Integer> closed = new ArrayList<>();
        final Map<Integer, ByteArrayOutputStream> received = new HashMap<>();
        final Map<Integer, Boolean> armed = new HashMap<>();
        long total;
        int callbacksAfterClose;

        Bytes(Backend backend, boolean rearm) {
            this.backend = backend;
            this.rearm = rearm;
        }

        long total() {
            return total;
        }

        byte[] bytes(int connection) {
            ByteArrayOutputStream out = received.get(connection);
            return out == null ? new byte[0] : out.toByteArray();
        }

        boolean idle(int connection) {
            return !armed.getOrDefault(connection, false);
        }

        private void check(int connection) {
            if (closed.contains(connection)) {
                callbacksAfterClose++;
            }
        }

        @Override
        public void onAccept(int listener, int connection) {
            accepted.add(connection);
        }

        @Override
        public void onAcceptError(int listener, IOException error) {
            throw new AssertionError("accept error", error);
        }

        @Override
        public void onRead(int connection, ByteBuffer data) {
            check(connection);
            assertThat(data.remaining()).isPositive();
            byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            received.computeIfAbsent(connection, c -> new ByteArrayOutputStream()).write(bytes, 0, bytes.length);
            total += bytes.length;
            armed.put(connection, false);
            if (rearm) {
                backend.read(connection);
                armed.put(connection, true);
            }
        }

        @Override
        public void onEof(int connection) {
            check(connection);
        }

        @Override
        public void onWritten(int connection) {
            check(connection);
        }

        @Override
        public void onError(int connection, IOException error) {
            check(connection);
            throw new AssertionError("error on " + Handles.toString(connection) + ": " + Arrays.toString(error.getStackTrace()), error);
        }
    }
}
