package dev.oneloop.examples.resp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.oneloop.backend.testing.ReceiveQueues;
import dev.oneloop.backend.testing.RequiredBackends;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code resp-server} as a user runs it: a child JVM, its one stdout line, --help, EMFILE, SIGTERM. */
@Timeout(60)
class RespMainProcessTest {

    @TempDir
    Path workDir;

    /** The child JVM: {@link RespMain} on this test run's class path, under {@code ulimit -n} if {@code maxOpenFiles > 0}. */
    private Process start(String backend, int maxOpenFiles, String... args) throws IOException {
        return start(backend, List.of(), maxOpenFiles, args);
    }

    /** {@link #start(String, int, String...)} with extra JVM options. */
    private Process start(String backend, List<String> jvmOptions, int maxOpenFiles, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-Dbackend=" + backend));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), RespMain.class.getName()));
        command.addAll(List.of(args));
        if (maxOpenFiles > 0) {
            List<String> limited = new ArrayList<>(List.of("sh", "-c", "ulimit -n " + maxOpenFiles + " && exec \"$0\" \"$@\""));
            limited.addAll(command);
            command = limited;
        }
        return new ProcessBuilder(command).redirectError(workDir.resolve("stderr-" + backend).toFile()).start();
    }

    private String stderr(String backend) throws IOException {
        return Files.readString(workDir.resolve("stderr-" + backend));
    }

    private static InetSocketAddress listening(Process p, String backend) throws IOException {
        BufferedReader stdout = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = stdout.readLine();
        // The JVM may print first, e.g. Flight Recorder's "Started recording" lines.
        for (int skipped = 0; line != null && line.startsWith("[") && skipped < 10; skipped++) {
            line = stdout.readLine();
        }
        assertThat(line).matches("listening on 127\\.0\\.0\\.1:\\d+ backend=" + backend);
        return new InetSocketAddress("127.0.0.1", Integer.parseInt(line.split(" ")[2].split(":")[1].trim()));
    }

    private static double cpuSeconds(Process p) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0; // USER_HZ is 100 on Linux
    }

    @Test
    void helpListsTheFlagsAndExitsWithZero() throws Exception {
        java.io.StringWriter out = new java.io.StringWriter();
        picocli.CommandLine cli = RespMain.commandLine();
        cli.setOut(new java.io.PrintWriter(out));
        assertThat(cli.execute("--help")).isZero();
        assertThat(out.toString()).contains("Usage: resp-server", "--proto-max-bulk-len", "--max-backlog", "-Dbackend=");
        java.io.StringWriter err = new java.io.StringWriter();
        cli.setErr(new java.io.PrintWriter(err));
        assertThat(cli.execute("--port", "x")).isEqualTo(2);
        assertThat(err.toString()).startsWith("resp-server: ").contains("(try --help)");
    }

    /**
     * SIGTERM (what {@link Process#destroy()} sends on Linux) with 4 MiB of replies still queued for
     * a client that has not read them yet: the signal only asks the server to stop, every reply is
     * flushed, the connection closed, and {@code main} returns 0.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.oneloop.examples.resp.Backends#names")
    void flushesPendingRepliesOnSigtermAndExitsWithZero(String backend) throws Exception {
        RequiredBackends.provider(backend);
        String value = "v".repeat(256 << 10);
        String reply = "$" + value.length() + "\r\n" + value + "\r\n";
        int gets = 16;
        Process p = start(backend, 0, "--port", "0", "--high-watermark", "8MiB", "--low-watermark", "1MiB",
                "--max-backlog", "16MiB", "--shutdown-timeout", "20s");
        try {
            InetSocketAddress address = listening(p, backend);
            try (RespClient client = new RespClient(address)) {
                assertThat(client.roundTrip("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n" + reply, "+OK\r\n")).isEqualTo("+OK\r\n");
                // The client does not read yet: the replies pile up in the server's queue. SIGTERM
                // stops reading, so it is sent once the server has read every request.
                client.send("GET k\r\n".repeat(gets));
                ReceiveQueues.awaitReadByServer(address.getPort(), client.socket.getLocalPort(), Duration.ofSeconds(20));
                long signalled = System.nanoTime();
                p.destroy(); // SIGTERM

                byte[] replies = client.readToEof();
                assertThat(replies.length).as("reply bytes before EOF").isEqualTo(gets * reply.length());
                assertThat(RespClient.text(replies)).as("every reply, then EOF").isEqualTo(reply.repeat(gets));
                assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("exited within 20 s of SIGTERM").isTrue();
                assertThat(p.exitValue()).as("exit code; stderr: %s", stderr(backend)).isZero();
                System.out.printf("resp sigterm [%s]: exit %.2f s after the signal%n", backend, (System.nanoTime() - signalled) / 1e9);
            }
            // The signal handler asked the loop to stop, and the loop stopped gracefully, in that order.
            String log = stderr(backend);
            assertThat(log).containsPattern("termination requested .*SIGTERM");
            assertThat(log.indexOf(" stopped ")).as("graceful stop logged after the request; stderr: %s", log)
                    .isGreaterThan(log.indexOf("termination requested"));
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * On SIGTERM the JVM's shutdown starts only once the server has stopped: from {@code main}'s
     * {@code System.exit}, not from the signal, so shutdown hooks (Flight Recorder's, writing this
     * recording) no longer race the server's closes. The JDK's own {@code jdk.Shutdown} event says
     * which thread started it (the RESP server has no Flight Recorder events of its own). One
     * backend is enough: the signal handling is the same on every backend.
     */
    @Test
    void theJvmShutsDownFromMainOnlyAfterTheGracefulStopOnSigterm() throws Exception {
        String backend = Backends.names().findFirst().orElseThrow();
        RequiredBackends.provider(backend);
        Path file = workDir.resolve("resp.jfr");
        Process p = start(backend, List.of("-XX:StartFlightRecording:filename=" + file), 0, "--port", "0");
        try {
            try (RespClient client = new RespClient(listening(p, backend))) {
                assertThat(client.roundTrip("PING\r\n", "+PONG\r\n")).isEqualTo("+PONG\r\n");
                p.destroy(); // SIGTERM
                assertThat(client.readToEof()).as("closed by the graceful stop").isEmpty();
            }
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("exited within 20 s of SIGTERM").isTrue();
            assertThat(p.exitValue()).as("exit code; stderr: %s", stderr(backend)).isZero();
        } finally {
            p.destroyForcibly();
        }
        List<RecordedEvent> shutdowns = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("jdk.Shutdown"))
                .toList();
        assertThat(shutdowns).as("jdk.Shutdown events in the recording").hasSize(1);
        RecordedEvent shutdown = shutdowns.getFirst();
        assertThat(shutdown.getThread().getJavaName()).as("thread that started the JVM's shutdown").isEqualTo("main");
        assertThat(shutdown.getStackTrace().getFrames())
                .extracting(frame -> frame.getMethod().getType().getName() + "." + frame.getMethod().getName())
                .contains("java.lang.System.exit", RespMain.class.getName() + ".main");
        assertThat(stderr(backend)).contains("termination requested").contains(" stopped ");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.oneloop.examples.resp.Backends#names")
    void backsOffWhenOutOfDescriptorsAndKeepsServing(String backend) throws Exception {
        RequiredBackends.provider(backend);
        Process p = start(backend, 128, "--port", "0");
        List<RespClient> flood = new ArrayList<>();
        try (RespClient first = new RespClient(listening(p, backend))) {
            InetSocketAddress address = first.socket.getRemoteSocketAddress() instanceof InetSocketAddress a ? a : null;
            assertThat(first.roundTrip("PING\r\n", "+PONG\r\n")).isEqualTo("+PONG\r\n");
            try {
                for (int i = 0; i < 200; i++) {
                    flood.add(new RespClient(address)); // more than the server has descriptors: the rest wait in the backlog
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> stderr(backend).contains("accept failed"));
                double before = cpuSeconds(p);
                long wallBefore = System.nanoTime();
                Thread.sleep(1_500);
                double percent = 100 * (cpuSeconds(p) - before) / ((System.nanoTime() - wallBefore) / 1e9);
                assertThat(percent).as("server CPU while accept fails, %% of a core").isLessThan(25);
                try {
                    assertThat(first.roundTrip("ECHO during\r\n", "$6\r\nduring\r\n")).isEqualTo("$6\r\nduring\r\n");
                } catch (IOException e) {
                    throw new AssertionError("no reply while out of descriptors; server stderr:\n" + stderr(backend), e);
                }
            } finally {
                for (RespClient c : flood) {
                    c.close();
                }
            }
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                try (RespClient fresh = new RespClient(address)) {
                    assertThat(fresh.roundTrip("PING\r\n", "+PONG\r\n")).isEqualTo("+PONG\r\n");
                }
            });
            assertThat(stderr(backend)).contains("accepting again");
        } finally {
            p.destroy();
            p.waitFor(20, TimeUnit.SECONDS);
            p.destroyForcibly();
        }
    }
}
