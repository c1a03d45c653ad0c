package dev.oneloop.backend.iouring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.testing.EchoHandler;
import dev.oneloop.backend.testing.RequiredBackends;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Timeout;

/**
 * Echoing small messages (ping-pong per client) allocates nothing on the loop thread, per message
 * or per turn, and enters the kernel at most twice per message at one connection (the SEND goes in
 * with the wait for the next RECV) and much less with many connections (one enter serves a batch).
 * The figures are printed for the record (README).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class IoUringAllocationTest {

    private static final int MESSAGE = 64;

    @BeforeAll
    static void ioUringIsAvailable() {
        RequiredBackends.provider(IoUringBackendProvider.NAME);
    }

    @ParameterizedTest(name = "{0} clients")
    @CsvSource({"1, 40000, 2.05", "8, 5000, 2.05", "100, 300, 1.0"})
    void echoingSmallMessagesAllocatesNothingAndEntersTheKernelRarely(int clients, int roundTrips, double maxEntersPerMessage)
            throws Exception {
        BackendConfig config = new BackendConfig(256, 4096);
        try (IoUringBackend backend = new IoUringBackend(config)) {
            int listener = backend.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
            backend.accept(listener);
            int port = backend.localAddress(listener).getPort();
            EchoHandler echo = new EchoHandler(backend, config);
            CountDownLatch start = new CountDownLatch(1);
            AtomicInteger finished = new AtomicInteger();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                threads.add(Thread.ofPlatform().daemon().start(() -> pingPong(port, roundTrips, start, finished)));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (backend.openHandles() < clients + 1 && System.nanoTime() < deadline) {
                backend.poll(TimeUnit.MILLISECONDS.toNanos(10), echo);
            }
            start.countDown();

            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            // Warm-up is long: until C2 compiles the enter path, the JDK's errno capture check
            // (SharedUtils.checkCaptureSegment) allocates a segment slice per downcall.
            long halfway = (long) clients * roundTrips * 3 / 4;
            long bytesAtHalfway = -1;
            long messagesAtHalfway = 0;
            long entersAtHalfway = 0;
            long turns = 0;
            long allocated = -1;
            long messages = 0;
            double enters = 0;
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (finished.get() < clients && System.nanoTime() < deadline) {
                backend.poll(TimeUnit.MILLISECONDS.toNanos(10), echo);
                if (bytesAtHalfway < 0 && echo.bytesEchoed() / MESSAGE >= halfway) {
                    bytesAtHalfway = mx.getCurrentThreadAllocatedBytes();
                    messagesAtHalfway = echo.bytesEchoed() / MESSAGE;
                    entersAtHalfway = backend.ring().enters;
                } else if (bytesAtHalfway >= 0 && allocated < 0) {
                    turns++;
                    if (finished.get() > 0 || echo.bytesEchoed() / MESSAGE >= (long) clients * roundTrips * 99 / 100) {
                        // Steady state ends when the first client leaves (closing is not per message).
                        allocated = mx.getCurrentThreadAllocatedBytes() - bytesAtHalfway;
                        messages = echo.bytesEchoed() / MESSAGE - messagesAtHalfway;
                        enters = (backend.ring().enters - entersAtHalfway) / (double) messages;
                    }
                }
            }
            while (finished.get() < clients && System.nanoTime() < deadline) {
                backend.poll(TimeUnit.MILLISECONDS.toNanos(10), echo);
            }
            System.out.printf("iouring echo, %d clients: %d messages in %d polls, %d bytes allocated, %.3f io_uring_enter per message%n",
                    clients, messages, turns, allocated, enters);

            assertThat(echo.lastAcceptError()).isNull();
            assertThat(echo.bytesEchoed()).isEqualTo((long) clients * roundTrips * MESSAGE);
            assertThat(allocated).as("%d bytes for %d messages in %d loop turns", allocated, messages, turns)
                    .isLessThanOrEqualTo(0);
            assertThat(enters).as("io_uring_enter per message").isLessThanOrEqualTo(maxEntersPerMessage);
            for (Thread thread : threads) {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            }
        }
    }

    private static void pingPong(int port, int roundTrips, CountDownLatch start, AtomicInteger finished) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            byte[] message = new byte[MESSAGE];
            start.await();
            for (int i = 0; i < roundTrips; i++) {
                out.write(message);
                in.readNBytes(message, 0, MESSAGE);
            }
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        } finally {
            finished.incrementAndGet();
        }
    }
}
