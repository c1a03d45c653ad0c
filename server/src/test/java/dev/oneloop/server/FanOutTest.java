package dev.oneloop.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The status broadcast at thousands of connections, its place behind pending echoes, the
 * connection limit and the idle timeout, on every backend (see {@link TestBackends}).
 */
// A separate thread, so that a test blocked in a socket read fails at its timeout instead of hanging.
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FanOutTest {

    /** Connections of the fan-out test when the descriptor limit allows: both ends are in this JVM. */
    private static final int MANY = 3_000;

    static Stream<String> backends() {
        return TestBackends.names();
    }

    private static EchoServerThread start(String backend, ServerConfig config) throws Exception {
        TestBackends.assumeUsable(backend);
        return EchoServerThread.start(backend, config);
    }

    /** {@link #MANY}, or fewer when this process may not open 2 descriptors per connection plus a margin. */
    private static int manyConnections() {
        long limit = ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix
                ? unix.getMaxFileDescriptorCount() : 20_000;
        int affordable = (int) Math.min(MANY, (limit - 500) / 2);
        assumeTrue(affordable >= 500, "the descriptor limit " + limit + " allows fewer than 500 connections (2 fds each)");
        if (affordable < MANY) {
            System.out.printf("fan-out: scaled down to %d connections by the descriptor limit %d%n", affordable, limit);
        }
        return affordable;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void broadcastsToThousandsOfConnectionsEachLineExactlyOnceAllocatingNothing(String backend) throws Exception {
        int n = manyConnections();
        ServerConfig config = ServerConfig.DEFAULTS.withPort(0).withStatusInterval(Duration.ofMillis(100));
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        byte[] full = ("Server status: " + n + " active connections\n").getBytes(StandardCharsets.US_ASCII);
        SocketChannel[] clients = new SocketChannel[n];
        int[] fullLines = new int[n];
        int[] otherLines = new int[n];
        boolean[] ended = new boolean[n];
        byte[][] partial = new byte[n][64];
        int[] partialLength = new int[n];
        try (EchoServerThread server = start(backend, config); Selector selector = Selector.open()) {
            try {
                for (int i = 0; i < n; i++) {
                    clients[i] = SocketChannel.open(server.address());
                    clients[i].configureBlocking(false);
                    clients[i].register(selector, SelectionKey.OP_READ, i);
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> server.server().activeConnections() == n);
                BroadcastStats stats = server.server().broadcastStats();
                ByteBuffer in = ByteBuffer.allocate(4096);
                // Warm-up: until three broadcasts in a row allocated nothing (at least ten, at most 40): the JIT
                // compiles the path, and escape analysis then removes what a backend allocates per write
                // while interpreted (Netty's IoUringIoOps). Then five measured broadcasts.
                long first = firstCountAfter(stats, n);
                int quiet = 0;
                for (long target = first + 1; target <= first + 40 && (target <= first + 10 || quiet < 3); target++) {
                    long before = stats.allocatedBytes();
                    long next = target;
                    drainUntil(selector, in, () -> stats.count() >= next, fullLines, otherLines, ended, partial, partialLength, full);
                    quiet = stats.allocatedBytes() == before ? quiet + 1 : 0;
                }
                long allocatedInBroadcasts = stats.allocatedBytes();
                long loopAllocated = threads.getThreadAllocatedBytes(server.thread().threadId());
                long measuredFrom = stats.count();
                drainUntil(selector, in, () -> stats.count() >= measuredFrom + 5, fullLines, otherLines, ended, partial, partialLength, full);
                long loopAllocatedDuring = threads.getThreadAllocatedBytes(server.thread().threadId()) - loopAllocated;
                int broadcasts = (int) (stats.count() - measuredFrom);
                System.out.printf("fan-out [%s]: %d connections, broadcast p50 %.0f us, max %.0f us over the last %d; allocated in them %d B,"
                                + " by the loop thread %d B in all%n",
                        backend, n, stats.percentileNanos(50, broadcasts) / 1e3, stats.percentileNanos(100, broadcasts) / 1e3, broadcasts,
                        stats.allocatedBytes() - allocatedInBroadcasts, loopAllocatedDuring);
                assertThat(stats.lastConnections()).isEqualTo(n);
                assertThat(stats.allocatedBytes() - allocatedInBroadcasts).as("bytes allocated inside %d broadcasts", broadcasts).isZero();
                // Everything the loop thread did meanwhile: the broadcasts and the completions of their writes. Not
                // quite zero on every backend: Netty 4.2.18's io_uring handler allocates 16 B per loop turn (netty#17437).
                assertThat(loopAllocatedDuring / (double) (broadcasts * (long) n))
                        .as("bytes the loop thread allocated per line delivered over %d broadcasts", broadcasts).isLessThan(0.1);

                // A graceful stop flushes every line queued; then every connection has read all it was sent.
                CompletableFuture<Void> stopped = CompletableFuture.runAsync(server::close);
                drainUntil(selector, in, () -> allEnded(ended), fullLines, otherLines, ended, partial, partialLength, full);
                stopped.join();
            } finally {
                for (SocketChannel c : clients) {
                    if (c != null) {
                        c.close();
                    }
                }
            }
        }
        int expected = fullLines[0];
        assertThat(expected).as("broadcasts counting all %d connections", n).isGreaterThanOrEqualTo(6);
        for (int i = 0; i < n; i++) {
            assertThat(fullLines[i]).as("lines counting %d connections received by connection %d", n, i).isEqualTo(expected);
            assertThat(partialLength[i]).as("bytes after the last newline on connection %d", i).isZero();
        }
    }

    /** The broadcast count once a broadcast to {@code n} connections has gone out. */
    private static long firstCountAfter(BroadcastStats stats, int n) {
        await().atMost(Duration.ofSeconds(10)).until(() -> stats.lastConnections() == n);
        return stats.count();
    }

    private static boolean allEnded(boolean[] ended) {
        for (boolean e : ended) {
            if (!e) {
                return false;
            }
        }
        return true;
    }

    /** Reads every connection (lines are checked as they complete) until {@code done}, for at most 20 s. */
    private static void drainUntil(Selector selector, ByteBuffer in, java.util.function.BooleanSupplier done, int[] fullLines,
            int[] otherLines, boolean[] ended, byte[][] partial, int[] partialLength, byte[] full) throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("draining within 20 s").isLessThan(deadline);
            selector.select(10);
            for (SelectionKey key : selector.selectedKeys()) {
                int i = (Integer) key.attachment();
                SocketChannel channel = (SocketChannel) key.channel();
                in.clear();
                int read = channel.read(in);
                if (read < 0) {
                    ended[i] = true;
                    key.cancel();
                    continue;
                }
                for (int p = 0; p < in.position(); p++) {
                    byte b = in.get(p);
                    assertThat(partialLength[i]).as("line length on connection %d", i).isLessThan(partial[i].length);
                    partial[i][partialLength[i]++] = b;
                    if (b == '\n') {
                        String line = new String(partial[i], 0, partialLength[i], StandardCharsets.US_ASCII);
                        if (Arrays.equals(partial[i], 0, partialLength[i], full, 0, full.length)) {
                            fullLines[i]++;
                        } else {
                            assertThat(line).as("a line on connection %d", i).matches("Server status: \\d+ active connections\n");
                            otherLines[i]++;
                        }
                        partialLength[i] = 0;
                    }
                }
            }
            selector.selectedKeys().clear();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void queuesTheStatusLineBehindALargePendingEchoNeverInsideIt(String backend) throws Exception {
        int echoBytes = 900 << 10; // below the 1 MiB high watermark: the server reads all of it at once
        byte[] echo = new byte[echoBytes];
        Arrays.fill(echo, (byte) 'x');
        long intervalMillis = 1_000;
        ServerConfig config = ServerConfig.DEFAULTS.withPort(0).withStatusInterval(Duration.ofMillis(intervalMillis));
        try (EchoServerThread server = start(backend, config); Socket socket = new Socket()) {
            socket.setReceiveBufferSize(16 << 10); // keep most of the echo queued in the server, not in the kernel
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(20_000);
            socket.connect(server.address(), 10_000);
            InputStream in = socket.getInputStream();
            assertThat(Clients.readLine(in)).isEqualTo("Server status: 1 active connections");
            // Right after a tick: the whole echo is queued long before the next one.
            long tick = System.nanoTime();
            socket.getOutputStream().write(echo);
            long writeMillis = (System.nanoTime() - tick) / 1_000_000;
            // Otherwise the tick may fall between two reads of the echo, which is no interleaving of a pending echo.
            assumeTrue(writeMillis < intervalMillis / 2, "writing the echo took " + writeMillis + " ms: the machine is too busy");
            Thread.sleep(intervalMillis * 3 / 2 - writeMillis);

            byte[] received = Clients.readExactly(in, echoBytes);
            int firstOther = 0;
            while (firstOther < received.length && received[firstOther] == 'x') {
                firstOther++;
            }
            assertThat(firstOther).as("bytes of the echo before anything else").isEqualTo(echoBytes);
            assertThat(Clients.readLine(in)).isEqualTo("Server status: 1 active connections");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void servesUpToMaxConnectionsAndRefusesTheNext(String backend) throws Exception {
        int max = 64;
        ServerConfig config = ServerConfig.DEFAULTS.withPort(0).withStatusInterval(Duration.ofHours(1)).withMaxConnections(max);
        List<Socket> sockets = new ArrayList<>();
        try (EchoServerThread server = start(backend, config)) {
            try {
                for (int i = 0; i < max; i++) {
                    sockets.add(Clients.connect(server.address()));
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> server.server().activeConnections() == max);
                try (Socket refused = Clients.connect(server.address())) {
                    assertThat(refused.getInputStream().read()).as("the connection beyond the limit is closed").isEqualTo(-1);
                }
                for (Socket s : sockets) {
                    assertThat(Clients.roundTrip(s, "still served")).isPositive();
                }
                assertThat(server.server().activeConnections()).isEqualTo(max);
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void closesAConnectionThatSentNothingForTheIdleTimeoutAndKeepsTheOthers(String backend) throws Exception {
        long timeoutMillis = 400;
        ServerConfig config = ServerConfig.DEFAULTS.withPort(0).withStatusInterval(Duration.ofMillis(100))
                .withIdleTimeout(Duration.ofMillis(timeoutMillis));
        try (EchoServerThread server = start(backend, config);
             Socket chatty = Clients.connect(server.address())) {
            long connected = System.nanoTime();
            try (Socket silent = Clients.connect(server.address())) {
                CompletableFuture<Long> silentClosedAfter = CompletableFuture.supplyAsync(() -> {
                    try {
                        // Status lines keep arriving (outbound traffic is not activity) until the close.
                        while (Clients.readLine(silent.getInputStream()) != null) {
                            // skip
                        }
                        return (System.nanoTime() - connected) / 1_000_000;
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                });
                long end = System.nanoTime() + Duration.ofMillis(3 * timeoutMillis).toNanos();
                while (System.nanoTime() < end) {
                    Clients.roundTrip(chatty, "still here");
                    Thread.sleep(timeoutMillis / 4);
                }
                long closedAfter = silentClosedAfter.get();
                System.out.printf("idle timeout [%s]: %d ms timeout, silent connection closed after %d ms%n", backend, timeoutMillis, closedAfter);
                assertThat(closedAfter).as("ms until the silent connection was closed").isBetween(timeoutMillis, 3 * timeoutMillis);
                assertThat(server.server().activeConnections()).as("the chatty connection is kept").isEqualTo(1);
                assertThat(Clients.roundTrip(chatty, "kept")).isPositive();
            }
            // Now the chatty one falls silent too.
            chatty.setSoTimeout((int) (4 * timeoutMillis));
            while (Clients.readLine(chatty.getInputStream()) != null) {
                // status lines until the close
            }
            await().atMost(Duration.ofSeconds(2)).until(() -> server.server().activeConnections() == 0);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void keepsIdleConnectionsOpenWithoutAnIdleTimeout(String backend) throws Exception {
        ServerConfig config = ServerConfig.DEFAULTS.withPort(0).withStatusInterval(Duration.ofMillis(100));
        assertThat(config.idleTimeout()).isEqualTo(Duration.ZERO);
        try (EchoServerThread server = start(backend, config);
             Socket silent = Clients.connect(server.address())) {
            Thread.sleep(800);
            assertThat(server.server().activeConnections()).isEqualTo(1);
            assertThat(Clients.roundTrip(silent, "still open")).isPositive();
        }
    }
}
