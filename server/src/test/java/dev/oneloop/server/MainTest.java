package dev.oneloop.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.oneloop.backend.BackendProvider;
import dev.oneloop.backend.Backends;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.Model.OptionSpec;

/** The command line as a user meets it: a child JVM, its output and exit code. */
// A separate thread, so that a test blocked in a socket read fails at its timeout instead of hanging.
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MainTest {

    private record Result(int exitCode, String stdout, String stderr) {
    }

    private static Result run(String backend, String... args) throws IOException, InterruptedException {
        return run(ServerProcess.command(backend, List.of(args)));
    }

    private static Result run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).start();
        process.getOutputStream().close();
        byte[] out = process.getInputStream().readAllBytes();
        byte[] err = process.getErrorStream().readAllBytes();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "--no-such-flag",
        "--port=notaport",
        "--port=70000",
        "--status-interval=5x",
        "--status-interval=0s",
        "--high-watermark=1q",
        "--low-watermark=2MiB",
        "--idle-timeout=5ms",
        "--idle-timeout=-1s",
        "--log-level=LOUD",
        "surplus-argument"})
    void rejectsABadFlagWithOneLineOnStderrAndExitCode2(String flag) throws Exception {
        Result result = run("nio", flag);

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.stdout()).isEmpty();
        assertThat(result.stderr().lines().toList()).singleElement().asString()
                .startsWith("echo-server: ").endsWith("(try --help)");
    }

    @Test
    void rejectsAnUnknownBackendListingTheNamesFoundAndExitCode2() throws Exception {
        Result result = run("nosuch", "--port", "0");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.stdout()).isEmpty();
        String names = String.join(", ", Backends.providers().stream().map(BackendProvider::name).toList());
        assertThat(result.stderr().lines().toList()).singleElement().asString()
                .contains("unknown backend 'nosuch'").contains(names);
    }

    @ParameterizedTest
    @ValueSource(strings = {"iouring", "iouring-netty"})
    void rejectsAKnownButUnavailableBackendWithItsCauseAndExitCode2(String backend) throws Exception {
        assumeTrue(Backends.providers().stream().anyMatch(p -> p.name().equals(backend)), "the " + backend + " provider is not on the class path");
        // The io_uring providers' switch for trying the failure path where io_uring works.
        Result result = run(ServerProcess.command(List.of("-Dbackend=" + backend, "-Doneloop." + backend + ".forceUnavailable=true"),
                List.of("--port", "0")));

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.stdout()).isEmpty();
        assertThat(result.stderr().lines().toList()).singleElement().asString()
                .startsWith("echo-server: ").contains("backend '" + backend + "' is not available").contains("forceUnavailable");
    }

    @Test
    void documentsEveryFlagInTheHelp() throws Exception {
        Result result = run(null, "--help");

        assertThat(result.exitCode()).isZero();
        for (OptionSpec option : Main.commandLine().getCommandSpec().options()) {
            // A negatable option is listed as --[no-]name.
            String listed = option.negatable() ? "--[no-]" + option.longestName().substring(2) : option.longestName();
            assertThat(result.stdout()).contains(listed);
            assertThat(option.description()).as("description of %s", option.longestName()).isNotEmpty();
        }
        assertThat(result.stdout()).contains("-Dbackend=");
    }
}
