package dev.oneloop.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.oneloop.backend.testing.ReceiveQueues;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The server as a process: descriptor exhaustion and signals, on every backend. */
// A separate thread, so that a test blocked in a socket read fails at its timeout instead of hanging.
@Timeout(value = 90, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class EchoServerProcessTest {

    @TempDir
    Path workDir;

    static Stream<String> backends() {
        return TestBackends.names();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void backsOffWhenOutOfDescriptorsKeepsServingAndAcceptsAgainOnceTheyAreFree(String backend) throws Exception {
        TestBackends.assumeUsable(backend);
        try (ServerProcess server = ServerProcess.start(backend, 128, workDir, "--status-interval", "1m");
             Socket first = Clients.connect(server.address)) {
            assertThat(Clients.roundTrip(first, "before the flood")).isPositive();
            List<Socket> flood = new ArrayList<>();
            try {
                // More clients than the server has descriptors: the rest wait in the listen queue.
                for (int i = 0; i < 300; i++) {
                    flood.add(Clients.connect(server.address));
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> server.stderrText().contains("accept failed"));
                Thread.sleep(500);
                double cpuBefore = server.cpuSeconds();
                long wallBefore = System.nanoTime();
                Thread.sleep(2_000);
                double percent = 100 * (server.cpuSeconds() - cpuBefore) / ((System.nanoTime() - wallBefore) / 1e9);
                System.out.printf("emfile [%s]: server process CPU %.1f%% of a core while out of descriptors%n", backend, percent);
                assertThat(percent).as("CPU of the whole server process while accept fails, %% of a core").isLessThan(25);

                assertThat(Clients.roundTrip(first, "during the flood")).isPositive();
            } finally {
                for (Socket s : flood) {
                    s.close();
                }
            }
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                try (Socket fresh = Clients.connect(server.address)) {
                    fresh.setSoTimeout(2_000);
                    assertThat(Clients.roundTrip(fresh, "after the flood")).isPositive();
                }
            });
            assertThat(server.stderrText()).contains("accepting again");
            assertThat(Clients.roundTrip(first, "still here")).isPositive();
        }
    }

    /**
     * The recording a user starts with {@code -XX:StartFlightRecording} holds the accept pause and
     * resume around {@code EMFILE}, and is written when SIGTERM stops the server. One backend is
     * enough: the events come from the server, the same code on every backend.
     */
    @Test
    void aFlightRecordingShowsAcceptPausedAndResumedAndIsWrittenOnSigterm() throws Exception {
        String backend = TestBackends.names().findFirst().orElseThrow();
        TestBackends.assumeUsable(backend);
        Path file = workDir.resolve("oneloop.jfr");
        try (ServerProcess server = ServerProcess.start(backend,
                List.of("-XX:StartFlightRecording:filename=" + file), 128, workDir, "--status-interval", "200ms");
             Socket first = Clients.connect(server.address)) {
            assertThat(Clients.roundTrip(first, "before the flood")).isPositive();
            List<Socket> flood = new ArrayList<>();
            try {
                for (int i = 0; i < 200; i++) {
                    flood.add(Clients.connect(server.address));
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> server.stderrText().contains("accept failed"));
            } finally {
                for (Socket s : flood) {
                    s.close();
                }
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> server.stderrText().contains("accepting again"));
            server.signal("TERM");
            assertThat(server.waitFor(20)).isZero();
        }
        Map<String, List<RecordedEvent>> byType = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().startsWith("oneloop."))
                .collect(Collectors.groupingBy(e -> e.getEventType().getName()));
        assertThat(byType).containsKeys("oneloop.AcceptPaused", "oneloop.AcceptResumed", "oneloop.ConnectionOpened",
                "oneloop.ConnectionClosed", "oneloop.StatusBroadcast");
        assertThat(byType.get("oneloop.AcceptPaused").getFirst().getString("error")).containsIgnoringCase("open files");
        assertThat(byType.get("oneloop.AcceptResumed").getFirst().getDuration("pausedFor")).isPositive();
        assertThat(byType.get("oneloop.ConnectionClosed")).extracting(e -> e.getString("reason")).contains("shutdown");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void flushesPendingOutputOnSigtermAndExitsWithZero(String backend) throws Exception {
        TestBackends.assumeUsable(backend);
        byte[] sent = new byte[3 << 20];
        new Random(3).nextBytes(sent);
        try (ServerProcess server = ServerProcess.start(backend, 0, workDir, "--status-interval", "1h",
                "--high-watermark", "8MiB", "--low-watermark", "1MiB", "--max-backlog", "16MiB", "--shutdown-timeout", "20s");
             Socket client = Clients.connect(server.address)) {
            // The client does not read yet: the echo piles up in the server's queue. SIGTERM stops
            // reading, so it is sent once the server has read everything (on a busy machine that can
            // take longer than any fixed sleep).
            client.getOutputStream().write(sent);
            ReceiveQueues.awaitReadByServer(server.address.getPort(), client.getLocalPort(), Duration.ofSeconds(20));
            server.signal("TERM");

            assertThat(Clients.readToEnd(client.getInputStream())).as("everything echoed, then EOF").isEqualTo(sent);
            assertThat(server.waitFor(30)).as("exit code").isZero();
            assertThat(server.stderrText()).contains("termination requested").contains("stopped");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void givesUpFlushingAtTheShutdownTimeoutOnSigintAndExitsWithZero(String backend) throws Exception {
        TestBackends.assumeUsable(backend);
        try (ServerProcess server = ServerProcess.start(backend, 0, workDir, "--status-interval", "1h", "--shutdown-timeout", "500ms")) {
            Socket client = Clients.connect(server.address);
            byte[] block = new byte[1 << 20];
            // Writes until the server stops reading: output stays pending because this client never reads.
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 0; i < 64; i++) {
                        client.getOutputStream().write(block);
                    }
                } catch (IOException closedByServer) {
                    // expected once the server gives up and closes
                }
            });
            Thread.sleep(1_000);
            long signalled = System.nanoTime();
            server.signal("INT");
            assertThat(server.waitFor(30)).as("exit code").isZero();
            double seconds = (System.nanoTime() - signalled) / 1e9;
            assertThat(seconds).as("seconds from SIGINT to exit, with a 500 ms shutdown timeout").isLessThan(5);
            assertThat(server.stderrText()).contains("shutdown timeout");
            client.close();
            writer.join(10_000);
        }
    }
}
