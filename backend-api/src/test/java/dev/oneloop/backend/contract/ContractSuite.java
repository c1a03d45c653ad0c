package dev.oneloop.backend.contract;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.BackendProvider;
import dev.oneloop.backend.testing.BackendLoop;
import dev.oneloop.backend.testing.EchoHandler;
import dev.oneloop.backend.testing.Peer;
import dev.oneloop.backend.testing.RecordingHandler;
import dev.oneloop.backend.testing.RequiredBackends;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;

/**
 * The fixture and helpers of the contract suites: the behaviour every {@link Backend} must show,
 * written once in topic suites ({@link EchoContract}, {@link BackpressureContract},
 * {@link HalfCloseContract}, {@link ResetCloseContract}, {@link HandlesContract},
 * {@link TimeoutWakeupContract}, {@link AllocationContract}, {@link FdExhaustionContract},
 * {@link EnforcementContract}) and run against each implementation by one-line subclasses that only
 * name it through a {@link BackendUnderTest} interface (like Netty's {@code SocketEchoTest} per
 * transport). Everything runs over real loopback sockets with plain blocking clients, or a
 * simulated network's peers (see {@link BackendUnderTest#peers()}).
 *
 * <p>Most tests drive the backend from a {@link BackendLoop}, a dedicated loop thread whose handler
 * wrapper also checks, for every callback of every test, that it is delivered from {@code poll}
 * only, on the loop thread, not nested in another callback, and never with an empty or writable
 * read view. The timeout tests drive {@code poll} from the test's own thread instead.
 *
 * <p>Besides the contract's plain statements, some tests target the classic bugs of each model:
 * readiness backends that stop reading before the socket is drained (edge-triggered), keep
 * interest in an event nobody asked for (a spinning loop), or deliver events of a key cancelled
 * earlier in the same turn; completion backends whose late completions for a closed handle reach
 * the connection that reused its slot.
 *
 * <p>This class implements {@link BackendUnderTest} but must not define its methods: the backend's
 * interface supplies them, and a class method would win over its defaults.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = ThreadMode.SEPARATE_THREAD)
public abstract class ContractSuite implements BackendUnderTest {

    static final InetAddress LOOPBACK_V4 = loopback("127.0.0.1");
    static final BackendConfig SMALL = new BackendConfig(64, 4096);
    /** Upper bound for something that must happen soon; generous, the machine is shared. */
    static final Duration SOON = Duration.ofSeconds(10);
    /** How long a test watches for something that must not happen. */
    static final Duration QUIET = Duration.ofMillis(300);
    /** Poll returns allowed during {@link #QUIET} with nothing to report; a spinning loop makes thousands. */
    static final long IDLE_POLLS_ALLOWED = 20;
    /** Bigger than the loopback send buffer (tcp_wmem max) plus a small client window: the write cannot finish unread. */
    static final int STALLING_WRITE_SIZE = 32 * 1024 * 1024;
    static final int SMALL_WINDOW = 16 * 1024;

    final Deque<AutoCloseable> resources = new ArrayDeque<>();
    BackendProvider provider;
    BackendLoop loop;
    RecordingHandler recorder;

    ContractSuite() {
    }

    @BeforeEach
    void findBackend() {
        provider = backendProvider();
    }

    @AfterEach
    void closeEverything() throws Exception {
        Throwable first = null;
        while (!resources.isEmpty()) {
            try {
                resources.pop().close();
            } catch (Throwable t) {
                if (first == null) {
                    first = t;
                } else {
                    first.addSuppressed(t);
                }
            }
        }
        if (first instanceof Exception e) {
            throw e;
        }
        if (first instanceof Error e) {
            throw e;
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Waits until the loop thread has returned from a poll that began after this call. */
    void awaitNextPoll() throws Exception {
        long target = loop.polls() + 2;
        long deadline = System.nanoTime() + SOON.toNanos();
        while (loop.polls() < target) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the loop did not poll within " + SOON);
            }
            loop.run(b -> { }); // wakes the loop, so that it polls again
        }
    }

    RecordingHandler startRecordingLoop(BackendConfig config) throws Exception {
        startLoop(config, backend -> recorder = new RecordingHandler(backend));
        return recorder;
    }

    EchoHandler startEchoLoop(BackendConfig config) throws Exception {
        EchoHandler[] echo = new EchoHandler[1];
        startLoop(config, backend -> echo[0] = new EchoHandler(backend, config));
        return echo[0];
    }

    void startLoop(BackendConfig config, BackendLoop.HandlerFactory handlers) throws Exception {
        try {
            loop = BackendLoop.start(provider, config, handlers);
        } catch (IOException | RuntimeException | LinkageError e) {
            throw RequiredBackends.unavailable(backendName(), e);
        }
        resources.push(loop);
    }

    @FunctionalInterface
    interface OnThisThread {
        void run(Backend backend) throws Exception;
    }

    /** Opens the backend on the test's own thread, which then drives {@code poll} itself. */
    void onThisThread(OnThisThread test) throws Exception {
        onThisThread(SMALL, test);
    }

    /** Opens the backend with {@code config} on the test's own thread, which then drives {@code poll} itself. */
    void onThisThread(BackendConfig config, OnThisThread test) throws Exception {
        Backend backend;
        try {
            backend = provider.open(config);
        } catch (IOException | RuntimeException | LinkageError e) {
            throw RequiredBackends.unavailable(backendName(), e);
        }
        SafetyNet net = new SafetyNet(backend, Duration.ofSeconds(5));
        try {
            test.run(backend);
        } finally {
            net.close();
            backend.close();
        }
    }

    int listen() throws Exception {
        return loop.call(b -> b.listen(new InetSocketAddress(LOOPBACK_V4, 0), 128));
    }

    InetSocketAddress address(int handle) throws Exception {
        return loop.call(b -> b.localAddress(handle));
    }

    int openHandles() throws Exception {
        return loop.call(Backend::openHandles);
    }

    Peer connect(InetSocketAddress address) throws IOException {
        return connect(address, 0);
    }

    Peer connect(InetSocketAddress address, int receiveBufferSize) throws IOException {
        Peer client = peers().connect(address, receiveBufferSize);
        resources.push(client);
        return client;
    }

    /** A client and the connection the backend accepted for it. */
    static final class Connection {
        final int listener;
        final int handle;
        final Peer client;

        Connection(int listener, int handle, Peer client) {
            this.listener = listener;
            this.handle = handle;
            this.client = client;
        }
    }

    /** Listens, arms acceptance, connects one client and waits for its connection. */
    Connection acceptOne(int receiveBufferSize) throws Exception {
        int listener = listen();
        loop.run(b -> b.accept(listener));
        Peer client = connect(address(listener), receiveBufferSize);
        return new Connection(listener, recorder.awaitAccept(listener, SOON), client);
    }

    /** Checks that {@code listener} still accepts and its connections still read and write. */
    void assertStillServes(int listener) throws Exception {
        Peer client = connect(address(listener));
        int connection = recorder.awaitAccept(listener, SOON);
        loop.run(b -> b.read(connection));
        client.send(ascii("still serving"));
        assertThat(recorder.awaitBytes(connection, 13, SOON)).isEqualTo(ascii("still serving"));
        loop.run(b -> b.write(connection, direct(ascii("yes"))));
        assertThat(client.readExactly(3)).isEqualTo(ascii("yes"));
    }

    /**
     * Keeps a broken {@code poll} from hanging a test driven on its own thread: from {@code delay}
     * on it calls {@code wakeup()} every 100 ms, so a poll that overshoots its timeout returns and
     * fails its timing check instead of reaching the test timeout.
     */
    static final class SafetyNet {
        private final Thread thread;
        private volatile boolean done;

        SafetyNet(Backend backend, Duration delay) {
            thread = Thread.ofPlatform().daemon().name("safety-net").start(() -> {
                long deadline = System.nanoTime() + delay.toNanos();
                while (!done) {
                    try {
                        Thread.sleep(Math.max(1, Math.min(100, (deadline - System.nanoTime()) / 1_000_000)));
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (!done && System.nanoTime() >= deadline) {
                        backend.wakeup();
                    }
                }
            });
        }

        void close() {
            done = true;
            thread.interrupt();
        }
    }

    static ByteBuffer direct(byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length);
        buffer.put(bytes).flip();
        return buffer;
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] filled(byte value, int length) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, value);
        return bytes;
    }

    static byte[] randomBytes(SplittableRandom random, int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i += 8) {
            long word = random.nextLong();
            for (int j = 0; j < 8 && i + j < length; j++) {
                bytes[i + j] = (byte) (word >>> (8 * j));
            }
        }
        return bytes;
    }

    static InetAddress loopback(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new IllegalStateException(literal, e);
        }
    }

    static boolean canBind(InetAddress address) {
        try {
            new ServerSocket(0, 1, address).close();
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
