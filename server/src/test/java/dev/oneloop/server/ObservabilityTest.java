package dev.oneloop.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The server seen from outside: its JMX counters and its Flight Recorder events, on every backend. */
@Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ObservabilityTest {

    private static final ServerConfig QUIET = ServerConfig.DEFAULTS.withPort(0).withStatusInterval(Duration.ofHours(1));

    @TempDir
    Path workDir;

    static Stream<String> backends() {
        return TestBackends.names();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void theMBeanCountsWhatClientsDid(String backend) throws Exception {
        TestBackends.assumeUsable(backend);
        ServerConfig config = QUIET.withMaxConnections(2);
        MBeanServer mbeans = ManagementFactory.getPlatformMBeanServer();
        ObjectName name;
        try (EchoServerThread server = EchoServerThread.start(backend, config)) {
            name = server.server().objectName();
            assertThat(name.getCanonicalName()).startsWith("dev.oneloop:").contains("type=EchoServer")
                    .contains("backend=\"" + backend + "\"").contains("port=" + server.address().getPort());
            assertThat(mbeans.isRegistered(name)).isTrue();
            try (Socket a = Clients.connect(server.address()); Socket b = Clients.connect(server.address())) {
                for (int i = 0; i < 10; i++) {
                    assertThat(Clients.roundTrip(a, "message " + i)).isPositive(); // "message i\n": 10 bytes
                }
                assertThat(Clients.roundTrip(b, "hello")).isPositive();
                try (Socket refused = Clients.connect(server.address())) {
                    assertThat(refused.getInputStream().read()).as("the third connection is closed at once").isEqualTo(-1);
                }
                // onWritten may follow the client's read by a turn: wait for the published values to settle.
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    assertThat(mbeans.getAttribute(name, "ConnectionsRefused")).isEqualTo(1L);
                    assertThat(mbeans.getAttribute(name, "BytesOut")).isEqualTo(10L * 10 + 6);
                    assertThat(mbeans.getAttribute(name, "PendingBytes")).isEqualTo(0L);
                });
                assertThat(mbeans.getAttribute(name, "Backend")).isEqualTo(backend);
                assertThat(mbeans.getAttribute(name, "Address")).isEqualTo(EchoServer.hostAndPort(server.address()));
                assertThat(mbeans.getAttribute(name, "ActiveConnections")).isEqualTo(2);
                assertThat(mbeans.getAttribute(name, "ConnectionsAccepted")).isEqualTo(2L);
                assertThat(mbeans.getAttribute(name, "BytesIn")).isEqualTo(10L * 10 + 6);
                assertThat((long) mbeans.getAttribute(name, "MessagesEchoed")).isBetween(11L, 10L * 10 + 6);
                assertThat(mbeans.getAttribute(name, "Broadcasts")).isEqualTo(0L);
                a.shutdownOutput();
                assertThat(a.getInputStream().read()).isEqualTo(-1);
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    assertThat(mbeans.getAttribute(name, "ConnectionsClosedByPeer")).isEqualTo(1L);
                    assertThat(mbeans.getAttribute(name, "ActiveConnections")).isEqualTo(1);
                });
            }
        }
        assertThat(mbeans.isRegistered(name)).as("unregistered when the server stops").isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void theMBeanCountsBroadcastsAndTheLineDroppedForAClientThatDoesNotRead(String backend) throws Exception {
        TestBackends.assumeUsable(backend);
        // A receive adds at most --read-buffer bytes to a queue at or below the high watermark, so the
        // hog stays under the hard limit until status lines push it over: it is cut off at a tick.
        int high = 64 << 10;
        ServerConfig config = ServerConfig.DEFAULTS.withPort(0).withStatusInterval(Duration.ofMillis(2))
                .withReadBufferSize(16 << 10).withBacklogLimits(high, 16 << 10, high + (16 << 10) + (4 << 10));
        try (EchoServerThread server = EchoServerThread.start(backend, config);
             Socket hog = Clients.connect(server.address());
             Socket polite = Clients.connect(server.address());
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            EchoServerMXBean stats = server.server().stats();
            Future<?> writer = threads.submit(() -> {
                byte[] block = new byte[16 << 10];
                try {
                    for (int i = 0; i < 100_000; i++) {
                        hog.getOutputStream().write(block);
                    }
                } catch (IOException closedByServer) {
                    // the server cut the hog off
                }
                return null;
            });
            await().atMost(Duration.ofSeconds(30)).until(() -> stats.getConnectionsClosedOverBacklog() == 1);
            writer.get(30, TimeUnit.SECONDS);
            assertThat(stats.getStatusLinesDropped()).as("the hog's line of the tick that cut it off").isEqualTo(1);
            assertThat(Clients.roundTrip(polite, "unaffected")).isPositive();
            assertThat(stats.getBroadcasts()).isPositive();
            assertThat(stats.getStatusLinesQueued()).as("one line per connection and tick")
                    .isBetween(stats.getBroadcasts() - 1, 2 * stats.getBroadcasts());
            assertThat(stats.getActiveConnections()).isEqualTo(1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void aRecordingHoldsTheLoopsEventsWithTheirFields(String backend) throws Exception {
        TestBackends.assumeUsable(backend);
        ServerConfig config = ServerConfig.DEFAULTS.withPort(0).withStatusInterval(Duration.ofMillis(50)).withMaxConnections(2);
        Observability everyTurn = Observability.DEFAULTS.withTurnEventThreshold(Duration.ZERO);
        Path file = workDir.resolve("oneloop.jfr");
        try (Recording recording = new Recording()) {
            recording.enable("oneloop.LoopTurn");
            recording.enable("oneloop.ConnectionOpened");
            recording.enable("oneloop.ConnectionClosed");
            recording.enable("oneloop.StatusBroadcast");
            recording.start();
            try (EchoServerThread server = EchoServerThread.start(backend, config, everyTurn);
                 Socket a = Clients.connect(server.address());
                 Socket b = Clients.connect(server.address())) {
                assertThat(Clients.roundTrip(a, "hello")).isPositive();
                assertThat(Clients.roundTrip(b, "world")).isPositive();
                try (Socket refused = Clients.connect(server.address())) {
                    assertThat(refused.getInputStream().read()).isEqualTo(-1);
                }
                String line = Clients.readLine(a.getInputStream());
                assertThat(line).startsWith(Clients.STATUS_PREFIX);
                b.shutdownOutput();
                assertThat(b.getInputStream().readAllBytes()).asString(StandardCharsets.US_ASCII)
                        .as("after the echo, only status lines until the server closes").doesNotContain("world");
            }
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        Map<String, List<RecordedEvent>> byType = events.stream()
                .collect(Collectors.groupingBy(e -> e.getEventType().getName()));
        assertThat(byType).containsKeys("oneloop.LoopTurn", "oneloop.ConnectionOpened", "oneloop.ConnectionClosed",
                "oneloop.StatusBroadcast");

        RecordedEvent turn = byType.get("oneloop.LoopTurn").getFirst();
        assertThat(turn.getString("backend")).isEqualTo(backend);
        assertThat(byType.get("oneloop.LoopTurn")).anySatisfy(t -> assertThat(t.getInt("callbacks")).isPositive());
        assertThat(byType.get("oneloop.LoopTurn")).allSatisfy(t -> {
            assertThat(t.getDuration("waiting").isNegative()).isFalse();
            assertThat(t.getDuration("busy").isNegative()).isFalse();
        });
        assertThat(byType.get("oneloop.ConnectionOpened")).hasSize(2)
                .allSatisfy(e -> assertThat(e.getString("connection")).matches("\\d+/\\d+"));
        assertThat(byType.get("oneloop.ConnectionClosed")).extracting(e -> e.getString("reason"))
                .contains("refused: max connections", "peer EOF");
        assertThat(byType.get("oneloop.StatusBroadcast")).anySatisfy(e -> {
            assertThat(e.getInt("connections")).isEqualTo(2);
            assertThat(e.getDuration("tickToLastWrite")).isPositive();
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void aResetConnectionIsClosedWithTheErrorsKindAndErrnoInItsEvent(String backend) throws Exception {
        TestBackends.assumeUsable(backend);
        Path file = workDir.resolve("reset.jfr");
        MBeanServer mbeans = ManagementFactory.getPlatformMBeanServer();
        try (Recording recording = new Recording()) {
            recording.enable("oneloop.ConnectionClosed");
            recording.start();
            try (EchoServerThread server = EchoServerThread.start(backend, QUIET)) {
                ObjectName name = server.server().objectName();
                Socket client = Clients.connect(server.address());
                assertThat(Clients.roundTrip(client, "hello")).isPositive(); // the server's read is armed again
                client.setSoLinger(true, 0);
                client.close(); // RST: the armed read fails with ECONNRESET
                await().atMost(Duration.ofSeconds(10)).untilAsserted(
                        () -> assertThat(mbeans.getAttribute(name, "ActiveConnections")).isEqualTo(0));
            }
            recording.stop();
            recording.dump(file);
        }
        List<RecordedEvent> closed = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("oneloop.ConnectionClosed")).toList();
        assertThat(closed).as("the reset connection's close, decided on the error's kind").singleElement().satisfies(e -> {
            assertThat(e.getString("reason")).isEqualTo("error");
            assertThat(e.getString("errorKind")).isEqualTo("CONNECTION_RESET");
            assertThat(e.getInt("errno")).isEqualTo(104);
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void eventsBelowTheirThresholdAllocateNothingPerMessage(String backend) throws Exception {
        TestBackends.assumeUsable(backend);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        byte[] message = new byte[64];
        new Random(64).nextBytes(message);
        // No turn of a 64-byte ping-pong is busy for a minute; the other events fire only on connections and ticks.
        Observability highThreshold = Observability.DEFAULTS.withTurnEventThreshold(Duration.ofMinutes(1));
        try (EchoServerThread server = EchoServerThread.start(backend, QUIET, highThreshold);
             Socket socket = Clients.connect(server.address())) {
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            long loopThread = server.thread().threadId();
            int messages = 20_000;
            double[] perMessage = new double[2];
            for (int round = 0; round < 4; round++) { // off, on, off, on: the last pair is measured warm
                boolean recording = round % 2 == 1;
                try (Recording jfr = new Recording()) {
                    if (recording) {
                        jfr.enable("oneloop.LoopTurn");
                        jfr.enable("oneloop.StatusBroadcast");
                        jfr.start();
                    }
                    long before = threads.getThreadAllocatedBytes(loopThread);
                    for (int i = 0; i < messages; i++) {
                        out.write(message);
                        Clients.readExactly(in, message.length);
                    }
                    perMessage[round % 2] = (threads.getThreadAllocatedBytes(loopThread) - before) / (double) messages;
                }
            }
            System.out.printf("allocation with JFR [%s]: %.2f B per message without a recording, %.2f B with one%n",
                    backend, perMessage[0], perMessage[1]);
            // A backend that allocates per loop turn itself (iouring-netty: Netty's 16 B) varies by a few
            // percent between rounds with the number of turns per message; the events' share must not.
            assertThat(perMessage[1] - perMessage[0])
                    .as("bytes per message the enabled events add on the loop thread").isLessThan(Math.max(0.5, 0.05 * perMessage[0]));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void withoutJmxNothingIsRegistered(String backend) throws Exception {
        TestBackends.assumeUsable(backend);
        try (EchoServerThread server = EchoServerThread.start(backend, QUIET, Observability.DEFAULTS.withJmx(false))) {
            assertThat(ManagementFactory.getPlatformMBeanServer().isRegistered(server.server().objectName())).isFalse();
        }
    }
}
