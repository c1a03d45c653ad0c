package dev.oneloop.backend.iouring.netty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oneloop.backend.Backend;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The loop thread allocates nothing per message: an echo of many small messages costs the loop
 * thread at most a constant per loop turn. That constant is Netty's: {@code IoUringIoHandler.run}
 * creates a bound method reference ({@code this::handle}, 16 bytes) on every run.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NettyIoUringAllocationTest {

    private static final int CLIENTS = 8;
    private static final int ROUND_TRIPS = 1500;
    private static final int MESSAGE = 64;
    /** Netty's 16 bytes per run, doubled for safety; a per-message object would exceed it many times over. */
    private static final long BYTES_PER_TURN = 32;

    @BeforeAll
    static void ioUringIsAvailable() {
        RequiredBackends.provider(NettyIoUringBackendProvider.NAME);
    }

    @Test
    void echoingSmallMessagesAllocatesNothingPerMessageOnTheLoopThread() throws Exception {
        BackendConfig config = new BackendConfig(64, 4096);
        try (Backend backend = new NettyIoUringBackendProvider().open(config)) {
            int listener = backend.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
            backend.accept(listener);
            int port = backend.localAddress(listener).getPort();
            EchoHandler echo = new EchoHandler(backend, config);
            CountDownLatch start = new CountDownLatch(1);
            AtomicInteger finished = new AtomicInteger();
            List<Thread> clients = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                clients.add(Thread.ofPlatform().daemon().start(() -> pingPong(port, start, finished)));
            }
            while (backend.openHandles() < CLIENTS + 1) {
                backend.poll(TimeUnit.MILLISECONDS.toNanos(10), echo);
            }
            start.countDown();

            com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long halfway = (long) CLIENTS * ROUND_TRIPS / 2;
            long bytesAtHalfway = -1;
            long messagesAtHalfway = 0;
            long turnsSinceHalfway = 0;
            while (finished.get() < CLIENTS) {
                backend.poll(TimeUnit.MILLISECONDS.toNanos(10), echo);
                if (bytesAtHalfway >= 0) {
                    turnsSinceHalfway++;
                } else if (echo.bytesEchoed() / MESSAGE >= halfway) {
                    bytesAtHalfway = threads.getCurrentThreadAllocatedBytes();
                    messagesAtHalfway = echo.bytesEchoed() / MESSAGE;
                }
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - bytesAtHalfway;
            long messages = echo.bytesEchoed() / MESSAGE - messagesAtHalfway;

            assertThat(echo.lastAcceptError()).isNull();
            assertThat(echo.bytesEchoed()).isEqualTo((long) CLIENTS * ROUND_TRIPS * MESSAGE);
            assertThat(messages).isGreaterThan(turnsSinceHalfway / 2);
            assertThat(allocated)
                    .as("%d bytes for %d messages in %d loop turns", allocated, messages, turnsSinceHalfway)
                    .isLessThanOrEqualTo(BYTES_PER_TURN * turnsSinceHalfway + 4096);
            for (Thread client : clients) {
                client.join(TimeUnit.SECONDS.toMillis(5));
            }
        }
    }

    private static void pingPong(int port, CountDownLatch start, AtomicInteger finished) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            byte[] message = new byte[MESSAGE];
            start.await();
            for (int i = 0; i < ROUND_TRIPS; i++) {
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
