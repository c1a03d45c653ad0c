package dev.oneloop.backend.iouring.netty;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Where Netty's io_uring cannot run, an explicit {@code iouring-netty} fails with the cause, and
 * {@code auto} (which prefers {@code iouring}, {@code epoll}, {@code nio} and tries this backend only
 * after them) still opens. Each case runs in a child JVM, because Netty probes io_uring once per JVM.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NettyIoUringFallbackTest {

    @Test
    void withoutTheNativeLibraryIouringNettyFailsWithTheCause() throws Exception {
        String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.contains("netty-transport-native-io_uring"))
                .collect(Collectors.joining(File.pathSeparator));

        String output = runProbe(classPath, List.of());

        assertThat(output).contains("OPENED auto -> nio");
        assertThat(output).containsPattern("FAILED iouring-netty -> backend 'iouring-netty' is not available: UnsatisfiedLinkError");
    }

    @Test
    void theForceUnavailablePropertyMakesIouringNettyFail() throws Exception {
        String output = runProbe(System.getProperty("java.class.path"),
                List.of("-D" + NettyIoUringBackendProvider.FORCE_UNAVAILABLE_PROPERTY + "=true"));

        assertThat(output).contains("OPENED auto -> nio");
        assertThat(output).contains("FAILED iouring-netty -> backend 'iouring-netty' is not available: UnsupportedOperationException: io_uring disabled");
    }

    private static String runProbe(String classPath, List<String> jvmOptions) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classPath, BackendSelectionProbe.class.getName(), "auto", "iouring-netty"));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] bytes = child.getInputStream().readAllBytes();
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(bytes, StandardCharsets.UTF_8);
        assertThat(child.exitValue()).as(output).isZero();
        return output;
    }
}
