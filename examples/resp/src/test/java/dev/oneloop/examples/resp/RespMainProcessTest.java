package dev.oneloop.examples.resp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-Dbackend=" + backend,
                "-cp", System.getProperty("java.class.path"), RespMain.class.getName()));
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
        String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
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

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.oneloop.examples.resp.Backends#names")
    void flushesRepliesOnSigtermAndExitsWithZero(String backend) throws Exception {
        RequiredBackends.provider(backend);
        Process p = start(backend, 0, "--port", "0");
        try {
            InetSocketAddress address = listening(p, backend);
            try (RespClient client = new RespClient(address)) {
                assertThat(client.roundTrip("SET k v\r\nGET k\r\n", "+OK\r\n$1\r\nv\r\n")).isEqualTo("+OK\r\n$1\r\nv\r\n");
                p.destroy(); // SIGTERM
                assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
                assertThat(p.exitValue()).as("exit code; stderr: %s", stderr(backend)).isZero();
                assertThat(client.readToEof()).isEmpty();
            }
        } finally {
            p.destroyForcibly();
        }
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
