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
    @CsvSource({"1, 40000, 2.05", "8, 5000, 2.05", "100, 1000, 1.0"})
    void echoingSmallMessagesAllocatesNothingAndEntersTheKernelRarely(int clients, int roundTrips, double maxEntersPerMessage)
            throws Exception {
        // Steady state is what is claimed: on a busy machine the JIT may still be compiling the
        // enter path during a whole run (the JDK's errno capture allocates ~40 B per downcall until
        // C2 has it), so a run that never reached a quiet window is repeated, warmer, at most twice.
        for (int attempt = 1; ; attempt++) {
            try {
                echoOnce(clients, roundTrips, maxEntersPerMessage);
                return;
            } catch (AssertionError notYetSteady) {
                if (attempt == 3 || !notYetSteady.getMessage().contains("quietest window")) {
                    throw notYetSteady;
                }
                System.out.println("not in steady state yet, again: " + notYetSteady.getMessage().lines().findFirst().orElse(""));
            }
        }
    }

    private static void echoOnce(int clients, int roundTrips, double maxEntersPerMessage) throws Exception {
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
            // (SharedUtils.checkCaptureSegment) allocates a segment slice per downcall. The second
            // half is measured in four windows: allocation per message or per turn shows in every
            // one of them, a one-off (a late compilation) in one window at most.
            long total = (long) clients * roundTrips;
            long[] marks = {total / 2, total * 5 / 8, total * 3 / 4, total * 7 / 8, total * 99 / 100};
            long[] bytesAt = new long[marks.length];
            long[] messagesAt = new long[marks.length];
            long[] entersAt = new long[marks.length];
            int reached = 0;
            long turns = 0;
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (finished.get() < clients && System.nanoTime() < deadline) {
                backend.poll(TimeUnit.MILLISECONDS.toNanos(10), echo);
                long echoed = echo.bytesEchoed() / MESSAGE;
                if (reached > 0 && reached < marks.length) {
                    turns++;
                }
                // Steady state ends when the first client leaves (closing is not per message).
                boolean end = reached == marks.length - 1 && finished.get() > 0;
                if (reached < marks.length && (echoed >= marks[reached] || end)) {
                    bytesAt[reached] = mx.getCurrentThreadAllocatedBytes();
                    messagesAt[reached] = echoed;
                    entersAt[reached] = backend.ring().enters;
                    reached++;
                }
            }
            while (finished.get() < clients && System.nanoTime() < deadline) {
                backend.poll(TimeUnit.MILLISECONDS.toNanos(10), echo);
            }
            assertThat(reached).as("measurement windows completed").isEqualTo(marks.length);
            long allocated = bytesAt[marks.length - 1] - bytesAt[0];
            long messages = messagesAt[marks.length - 1] - messagesAt[0];
            double enters = (entersAt[marks.length - 1] - entersAt[0]) / (double) messages;
            long quietestWindow = Long.MAX_VALUE;
            StringBuilder windows = new StringBuilder();
            for (int i = 1; i < marks.length; i++) {
                long bytes = bytesAt[i] - bytesAt[i - 1];
                if (messagesAt[i] - messagesAt[i - 1] >= 1_000) { // a short last window proves nothing
                    quietestWindow = Math.min(quietestWindow, bytes);
                }
                windows.append(' ').append(bytes).append(" B/").append(messagesAt[i] - messagesAt[i - 1]).append(" msgs");
            }
            System.out.printf("iouring echo, %d clients: %d messages in %d polls, %d bytes allocated (windows:%s), %.3f io_uring_enter per message%n",
                    clients, messages, turns, allocated, windows, enters);

            assertThat(echo.lastAcceptError()).isNull();
            assertThat(echo.bytesEchoed()).isEqualTo((long) clients * roundTrips * MESSAGE);
            assertThat(quietestWindow).as("bytes allocated in the quietest window of the second half:%s", windows).isZero();
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
