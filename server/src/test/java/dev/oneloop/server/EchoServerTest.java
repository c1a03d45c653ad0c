package dev.oneloop.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The server's behaviour over real loopback sockets, on every backend (see {@link TestBackends}). */
// A separate thread, so that a test blocked in a socket read fails at its timeout instead of hanging.
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class EchoServerTest {

    /** Status lines would interleave with echoed bytes; tests of the echo keep them out of the way. */
    private static final ServerConfig QUIET = ServerConfig.DEFAULTS.withPort(0).withStatusInterval(Duration.ofHours(1));

    static Stream<String> backends() {
        return TestBackends.names();
    }

    private static EchoServerThread start(String backend, ServerConfig config) throws Exception {
        TestBackends.assumeUsable(backend);
        return EchoServerThread.start(backend, config);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void echoesRandomFragmentsFromManyConcurrentClientsExactlyAndOnlyToTheirSender(String backend) throws Exception {
        int clients = 40;
        int bytesPerClient = 256 << 10;
        try (EchoServerThread server = start(backend, QUIET);
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                long seed = 1_000 + c;
                done.add(threads.submit(() -> {
                    byte[] sent = new byte[bytesPerClient];
                    new Random(seed).nextBytes(sent);
                    try (Socket socket = Clients.connect(server.address())) {
                        Future<byte[]> echoed = threads.submit(() -> Clients.readExactly(socket.getInputStream(), sent.length));
                        OutputStream out = socket.getOutputStream();
                        Random fragments = new Random(seed);
                        for (int at = 0; at < sent.length; ) {
                            int n = Math.min(sent.length - at, 1 + fragments.nextInt(8_192));
                            out.write(sent, at, n);
                            at += n;
                        }
                        assertThat(echoed.get()).isEqualTo(sent);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> server.server().activeConnections() == 0);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void echoesOneSixteenMebibyteMessage(String backend) throws Exception {
        byte[] sent = new byte[16 << 20];
        new Random(16).nextBytes(sent);
        try (EchoServerThread server = start(backend, QUIET);
             Socket socket = Clients.connect(server.address());
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<byte[]> echoed = threads.submit(() -> Clients.readExactly(socket.getInputStream(), sent.length));
            socket.getOutputStream().write(sent);
            assertThat(echoed.get()).isEqualTo(sent);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void broadcastsTheStatusLineToEveryConnectionAtAFixedRate(String backend) throws Exception {
        long intervalMillis = 200;
        ServerConfig config = ServerConfig.DEFAULTS.withPort(0).withStatusInterval(Duration.ofMillis(intervalMillis));
        try (EchoServerThread server = start(backend, config);
             Socket first = Clients.connect(server.address());
             Socket second = Clients.connect(server.address());
             Socket third = Clients.connect(server.address())) {
            await().atMost(Duration.ofSeconds(5)).until(() -> server.server().activeConnections() == 3);
            InputStream in = first.getInputStream();
            // Lines sent before all three were connected say 1 or 2.
            for (int skipped = 0; !"Server status: 3 active connections".equals(Clients.readLine(in)); skipped++) {
                assertThat(skipped).as("status lines before the one counting 3 connections").isLessThan(10);
            }
            List<Long> arrivals = new ArrayList<>();
            arrivals.add(System.nanoTime());
            long end = System.nanoTime() + Duration.ofMillis(2_000).toNanos();
            while (System.nanoTime() < end) {
                assertThat(Clients.readLine(in)).isEqualTo("Server status: 3 active connections");
                arrivals.add(System.nanoTime());
            }

            int intervals = arrivals.size() - 1;
            assertThat(intervals).as("lines in 2 s at 200 ms").isBetween(9, 11);
            double meanMillis = (arrivals.get(intervals) - arrivals.get(0)) / 1e6 / intervals;
            assertThat(meanMillis).as("mean interval, ms").isCloseTo(intervalMillis, org.assertj.core.data.Offset.offset(15.0));
            for (int k = 1; k <= intervals; k++) {
                double offsetMillis = (arrivals.get(k) - arrivals.get(0)) / 1e6 - k * intervalMillis;
                assertThat(offsetMillis).as("line %d against the fixed schedule, ms", k).isBetween(-60.0, 60.0);
            }
            System.out.printf("status line [%s]: %d intervals, mean %.2f ms at %d ms%n", backend, intervals, meanMillis, intervalMillis);

            for (Socket other : List.of(second, third)) {
                int lines = 0;
                other.setSoTimeout(1);
                try {
                    while (Clients.readLine(other.getInputStream()) != null) {
                        lines++;
                    }
                } catch (java.net.SocketTimeoutException drained) {
                    // everything received so far is counted
                }
                assertThat(lines).as("every connection gets the broadcast").isGreaterThanOrEqualTo(intervals);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void idlesWithAlmostNoCpuWhileHoldingAHundredConnections(String backend) throws Exception {
        ServerConfig config = ServerConfig.DEFAULTS.withPort(0).withStatusInterval(Duration.ofSeconds(1));
        List<Socket> sockets = new ArrayList<>();
        try (EchoServerThread server = start(backend, config)) {
            try {
                for (int i = 0; i < 100; i++) {
                    Socket socket = Clients.connect(server.address());
                    sockets.add(socket);
                    Clients.roundTrip(socket, "hello " + i);
                }
                Thread.sleep(300);
                ThreadMXBean threads = ManagementFactory.getThreadMXBean();
                long loopThread = server.thread().threadId();
                long cpuBefore = threads.getThreadCpuTime(loopThread);
                long wallBefore = System.nanoTime();
                Thread.sleep(2_500);
                long cpu = threads.getThreadCpuTime(loopThread) - cpuBefore;
                long wall = System.nanoTime() - wallBefore;

                double percent = 100.0 * cpu / wall;
                System.out.printf("idle cpu [%s]: %.3f%% of a core over %.1f s, 100 connections, status every 1 s%n",
                        backend, percent, wall / 1e9);
                assertThat(percent).as("loop thread CPU, %% of a core").isLessThan(1.5);
                assertThat(server.server().activeConnections()).isEqualTo(100);
                assertThat(Clients.roundTrip(sockets.get(99), "still there")).isPositive();
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void echoesEveryByteSentBeforeThePeerHalfClosesThenCloses(String backend) throws Exception {
        byte[] sent = new byte[1 << 20];
        new Random(1).nextBytes(sent);
        try (EchoServerThread server = start(backend, QUIET);
             Socket socket = Clients.connect(server.address())) {
            socket.getOutputStream().write(sent);
            socket.shutdownOutput();
            assertThat(Clients.readToEnd(socket.getInputStream())).isEqualTo(sent);
            await().atMost(Duration.ofSeconds(5)).until(() -> server.server().activeConnections() == 0);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void dropsOnlyTheConnectionsThatAreResetDuringAStormOfResets(String backend) throws Exception {
        try (EchoServerThread server = start(backend, QUIET);
             Socket bystander = Clients.connect(server.address())) {
            byte[] chunk = new byte[64 << 10];
            for (int round = 0; round < 4; round++) {
                List<Socket> storm = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    Socket s = Clients.connect(server.address());
                    storm.add(s);
                    // Some with echo still unread, some having sent nothing: both are reset.
                    if (i % 2 == 0) {
                        s.getOutputStream().write(chunk);
                    }
                }
                for (Socket s : storm) {
                    s.setSoLinger(true, 0);
                    s.close();
                }
                assertThat(Clients.roundTrip(bystander, "after storm " + round)).isPositive();
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> server.server().activeConnections() == 1);
            try (Socket fresh = Clients.connect(server.address())) {
                assertThat(Clients.roundTrip(fresh, "fresh")).isPositive();
            }
            assertThat(server.thread().isAlive()).isTrue();
            assertThat(server.failure()).isNull();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void churnsThousandsOfConnectionsWithoutCrossTalkOrLeakingDescriptors(String backend) throws Exception {
        int workers = 4;
        int cyclesPerWorker = 1_000;
        try (EchoServerThread server = start(backend, QUIET);
             ExecutorService threads = Executors.newFixedThreadPool(workers)) {
            try (Socket warm = Clients.connect(server.address())) {
                Clients.roundTrip(warm, "warm");
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> server.server().activeConnections() == 0);
            long fdsBefore = openDescriptors();
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                int worker = w;
                done.add(threads.submit(() -> {
                    for (int cycle = 0; cycle < cyclesPerWorker; cycle++) {
                        // Unique per connection: a byte of another connection's token would show.
                        String token = "worker " + worker + " cycle " + cycle + " " + ThreadLocalRandom.current().nextLong();
                        byte[] bytes = token.getBytes(StandardCharsets.US_ASCII);
                        try (Socket socket = Clients.connect(server.address())) {
                            socket.getOutputStream().write(bytes);
                            assertThat(new String(Clients.readExactly(socket.getInputStream(), bytes.length), StandardCharsets.US_ASCII))
                                    .isEqualTo(token);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> server.server().activeConnections() == 0);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(openDescriptors()).as("open fds of this JVM after 4,000 connections").isLessThanOrEqualTo(fdsBefore + 4));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void throttlesAClientThatWritesWithoutReadingWhileOthersStayResponsive(String backend) throws Exception {
        ServerConfig config = ServerConfig.DEFAULTS.withPort(0).withStatusInterval(Duration.ofMillis(100));
        BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(pool -> pool.getName().equals("direct")).findFirst().orElseThrow();
        AtomicLong hogWrote = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        try (EchoServerThread server = start(backend, config);
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Socket hog = Clients.connect(server.address());
            List<Socket> others = new ArrayList<>();
            try {
                for (int i = 0; i < 5; i++) {
                    others.add(Clients.connect(server.address()));
                    Clients.roundTrip(others.get(i), "warm " + i);
                }
                long directBefore = direct.getMemoryUsed();
                Future<?> writer = threads.submit(() -> {
                    byte[] block = new byte[64 << 10];
                    OutputStream out = hog.getOutputStream();
                    while (!stop.get()) {
                        out.write(block); // blocks once the server stops reading: no spinning
                        hogWrote.addAndGet(block.length);
                    }
                    return null;
                });
                List<Long> roundTrips = new ArrayList<>();
                long directMax = directBefore;
                long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
                while (System.nanoTime() < end) {
                    for (Socket other : others) {
                        roundTrips.add(Clients.roundTrip(other, "probe"));
                    }
                    directMax = Math.max(directMax, direct.getMemoryUsed());
                    Thread.sleep(5);
                }
                stop.set(true);

                roundTrips.sort(null);
                double p99 = roundTrips.get(roundTrips.size() * 99 / 100) / 1e6;
                double max = roundTrips.getLast() / 1e6;
                System.out.printf("non-reader [%s]: hog wrote %.1f MiB in 3 s; direct memory +%.1f MiB; others' round trips p99 %.2f ms, max %.2f ms (%d)%n",
                        backend, hogWrote.get() / 1048576.0, (directMax - directBefore) / 1048576.0, p99, max, roundTrips.size());
                assertThat(hogWrote.get()).as("bytes the non-reading client got to write").isLessThan(48L << 20);
                assertThat(directMax - directBefore).as("growth of direct memory").isLessThan(16L << 20);
                assertThat(p99).as("p99 round trip of the other clients, ms").isLessThan(100.0);
                assertThat(server.server().activeConnections()).isEqualTo(6);
                assertThat(writer.isDone()).as("the hog is blocked by TCP flow control").isFalse();
            } finally {
                stop.set(true);
                hog.close(); // unblocks the writer
                for (Socket s : others) {
                    s.close();
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void closesAConnectionWhoseBacklogPassesTheHardLimit(String backend) throws Exception {
        ServerConfig config = ServerConfig.DEFAULTS.withPort(0).withStatusInterval(Duration.ofMillis(10))
                .withBacklogLimits(64 << 10, 16 << 10, 65 << 10);
        try (EchoServerThread server = start(backend, config);
             Socket hog = Clients.connect(server.address());
             Socket polite = Clients.connect(server.address());
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<IOException> writer = threads.submit(() -> {
                byte[] block = new byte[16 << 10];
                try {
                    for (int i = 0; i < 100_000; i++) {
                        hog.getOutputStream().write(block);
                    }
                    return null;
                } catch (IOException closedByServer) {
                    return closedByServer;
                }
            });
            await().atMost(Duration.ofSeconds(20)).until(() -> server.server().activeConnections() == 1);
            assertThat(writer.get()).as("the hog's writes fail once the server closed it").isNotNull();
            assertThat(Clients.roundTrip(polite, "unaffected")).isPositive();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void allocatesAlmostNothingPerEchoedMessageOnTheLoopThread(String backend) throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        byte[] message = new byte[64];
        new Random(64).nextBytes(message);
        try (EchoServerThread server = start(backend, QUIET);
             Socket socket = Clients.connect(server.address())) {
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            for (int i = 0; i < 20_000; i++) { // warm-up: pools filled, code compiled
                out.write(message);
                Clients.readExactly(in, message.length);
            }
            long loopThread = server.thread().threadId();
            int messages = 20_000;
            long before = threads.getThreadAllocatedBytes(loopThread);
            for (int i = 0; i < messages; i++) {
                out.write(message);
                Clients.readExactly(in, message.length);
            }
            double perMessage = (threads.getThreadAllocatedBytes(loopThread) - before) / (double) messages;
            System.out.printf("allocation [%s]: %.2f bytes per echoed 64-byte message on the loop thread%n", backend, perMessage);
            // Not zero: a backend's mechanism may allocate per poll (Netty's io_uring handler does, 16 B).
            assertThat(perMessage).as("bytes allocated by the loop thread per echoed message").isLessThan(64);
        }
    }

    private static long openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
