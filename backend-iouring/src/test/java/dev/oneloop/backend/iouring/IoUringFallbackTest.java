package dev.oneloop.backend.iouring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Where our ring cannot run, an explicit {@code iouring} fails with the cause and {@code auto}
 * skips it, saying why, and opens the next backend. Runs in a child JVM, because the provider
 * probes io_uring once per JVM.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class IoUringFallbackTest {

    @Test
    void autoSkipsAnUnavailableIouringWithTheReasonAndIouringFailsWithTheCause() throws Exception {
        String output = runProbe(List.of("-D" + IoUringBackendProvider.FORCE_UNAVAILABLE_PROPERTY + "=true"));

        assertThat(output).contains("OPENED auto -> nio");
        assertThat(output).containsPattern("(?s)iouring.*forceUnavailable.*OPENED auto");
        assertThat(output).contains("FAILED iouring -> backend 'iouring' is not available: UnsupportedOperationException: io_uring disabled");
    }

    @Test
    void whereIoUringWorksAutoChoosesIt() throws Exception {
        String output = runProbe(List.of());

        assertThat(output).contains("OPENED auto -> iouring").contains("OPENED iouring -> iouring");
    }

    private static String runProbe(List<String> jvmOptions) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), BackendSelectionProbe.class.getName(), "auto", "iouring"));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] bytes = child.getInputStream().readAllBytes();
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(bytes, StandardCharsets.UTF_8);
        assertThat(child.exitValue()).as(output).isZero();
        return output;
    }
}
