package dev.oneloop.examples.resp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real clients, unchanged: {@code redis-cli} (one command per invocation, a pipeline on stdin,
 * {@code --pipe}) and {@code redis-benchmark}. Their output is compared with what they print against
 * redis-server 7.0.15 (captured below), byte for byte. Skipped only if the tools are not installed
 * ({@code .ci/run} installs {@code redis-tools}).
 */
@Timeout(60)
class RedisCliTest {

    /** {@code redis-cli} output against redis-server 7.0.15 for {@link #SCRIPT}, one command per line on stdin. */
    static final String SCRIPT = String.join("\n",
            "PING", "PING hello", "SET k v", "GET k", "SET k w NX", "SET k w XX", "GET k", "SET n 41", "INCR n", "INCR k",
            "EXISTS k n nosuch", "DEL k nosuch", "DBSIZE", "SET t v EX 100", "SET t v EX 0", "ECHO \"a b\"", "GET nosuch",
            "foo a b", "CONFIG GET save", "CONFIG GET appendonly", "FLUSHALL", "DBSIZE") + "\n";

    /** Raw output (no terminal): redis-cli prints an empty line after each error in this mode. */
    static final String EXPECTED = "PONG\nhello\nOK\nv\n\nOK\nw\nOK\n42\nERR value is not an integer or out of range\n\n2\n1\n1\nOK\n"
            + "ERR invalid expire time in 'set' command\n\na b\n\nERR unknown command 'foo', with args beginning with: 'a' 'b' \n\n"
            + "save\n\nappendonly\nno\nOK\n0\n";

    private static boolean installed(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (new File(dir, tool).canExecute()) {
                return true;
            }
        }
        return false;
    }

    private static String run(String stdin, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("%s finished", List.of(command)).isTrue();
        return new String(out, StandardCharsets.UTF_8);
    }

    private static List<String> cli(int port, String... args) {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(port)));
        command.addAll(List.of(args));
        return command;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.oneloop.examples.resp.Backends#names")
    void redisCliGetsWhatRedisWouldGiveIt(String backend) throws Exception {
        assumeTrue(installed("redis-cli"), "redis-cli is not installed (apt-get install redis-tools)");
        try (RespServerThread server = Backends.start(backend, RespConfig.DEFAULTS)) {
            int port = server.address().getPort();
            // --no-raw: formatted as on a terminal (without a terminal redis-cli prints raw replies).
            assertThat(run("", cli(port, "--no-raw", "PING").toArray(String[]::new))).isEqualTo("PONG\n");
            assertThat(run("", cli(port, "--no-raw", "SET", "greeting", "hello world").toArray(String[]::new))).isEqualTo("OK\n");
            assertThat(run("", cli(port, "--no-raw", "GET", "greeting").toArray(String[]::new))).isEqualTo("\"hello world\"\n");
            assertThat(run("", cli(port, "--no-raw", "GET", "nosuch").toArray(String[]::new))).isEqualTo("(nil)\n");
            assertThat(run("", cli(port, "--no-raw", "INCR", "greeting").toArray(String[]::new)))
                    .isEqualTo("(error) ERR value is not an integer or out of range\n");
            assertThat(run("", cli(port, "--no-raw", "foo", "a", "b").toArray(String[]::new)))
                    .isEqualTo("(error) ERR unknown command 'foo', with args beginning with: 'a' 'b' \n");
            assertThat(run("", cli(port, "--no-raw", "CONFIG", "GET", "appendonly").toArray(String[]::new)))
                    .isEqualTo("1) \"appendonly\"\n2) \"no\"\n");
            // Commands piped on stdin: redis-cli sends them one after another on one connection.
            assertThat(run("", cli(port, "FLUSHALL").toArray(String[]::new))).isEqualTo("OK\n");
            assertThat(run(SCRIPT, cli(port).toArray(String[]::new))).isEqualTo(EXPECTED);
            // --pipe writes everything at once and counts the replies (and the errors among them).
            StringBuilder mass = new StringBuilder();
            for (int i = 0; i < 10_000; i++) {
                mass.append("SET key:").append(i).append(" value:").append(i).append("\r\n");
            }
            mass.append("NOSUCHCOMMAND\r\n");
            assertThat(run(mass.toString(), cli(port, "--pipe").toArray(String[]::new)))
                    .contains("errors: 1, replies: 10001");
            assertThat(run("", cli(port, "--no-raw", "DBSIZE").toArray(String[]::new))).isEqualTo("(integer) 10000\n");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.oneloop.examples.resp.Backends#names")
    void redisBenchmarkRunsUnchanged(String backend) throws Exception {
        assumeTrue(installed("redis-benchmark"), "redis-benchmark is not installed (apt-get install redis-tools)");
        try (RespServerThread server = Backends.start(backend, RespConfig.DEFAULTS)) {
            String out = run("", "redis-benchmark", "-p", Integer.toString(server.address().getPort()),
                    "-t", "ping_mbulk,set,get", "-c", "10", "-P", "4", "-n", "20000", "--csv");
            assertThat(out).doesNotContain("WARNING").contains("\"PING_MBULK\"").contains("\"SET\"").contains("\"GET\"");
            assertThat(server.server().commandsExecuted()).isGreaterThanOrEqualTo(60_000);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.oneloop.examples.resp.Backends#names")
    void redisServerItselfGivesTheSameOutput(String backend) throws Exception {
        assumeTrue(installed("redis-cli") && installed("redis-server"), "redis-cli or redis-server is not installed");
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Process redis = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--save", "", "--appendonly", "no")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!run("", cli(port, "PING").toArray(String[]::new)).equals("PONG\n")) {
                assertThat(System.nanoTime()).as("redis-server answers PING").isLessThan(deadline);
                Thread.sleep(50);
            }
            String fromRedis = run(SCRIPT, cli(port).toArray(String[]::new));
            try (RespServerThread server = Backends.start(backend, RespConfig.DEFAULTS)) {
                String fromUs = run(SCRIPT, cli(server.address().getPort()).toArray(String[]::new));
                assertThat(fromUs).isEqualTo(fromRedis).isEqualTo(EXPECTED);
            }
        } finally {
            redis.destroy();
            redis.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
