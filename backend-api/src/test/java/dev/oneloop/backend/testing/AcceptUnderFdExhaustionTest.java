package dev.oneloop.backend.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Acceptance that fails with EMFILE (on io_uring a multishot ACCEPT that ends without
 * {@code IORING_CQE_F_MORE}) is reported once and stays disarmed, without spinning, until
 * {@code accept} is called again; the connection that could not be accepted waits in the backlog
 * meanwhile. Runs in a child JVM whose file descriptors it may use up; subclassed in one line per
 * backend, like the contract suite.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class AcceptUnderFdExhaustionTest {

    /** The {@code -Dbackend} name of the backend under test. */
    protected abstract String backendName();

    @BeforeEach
    void backendIsAvailable() {
        RequiredBackends.provider(backendName());
    }

    @Test
    void emfileStopsAcceptanceOnceUntilItIsArmedAgain() throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                AcceptUnderFdExhaustionProbe.class.getName(), backendName()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                OutputStream in = child.getOutputStream()) {
            String portLine = readUntil(out, "PORT ", lines);
            int port = Integer.parseInt(portLine.split(" ")[1]);
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
                lines.add("parent: connected from port " + client.getLocalPort());
                in.write('\n');
                in.flush();
                for (String line; (line = out.readLine()) != null; ) {
                    lines.add(line);
                }
            }
        } finally {
            child.destroyForcibly();
        }
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String output = String.join("\n", lines);
        assertThat(child.exitValue()).as(output).isZero();
        assertThat(output).containsPattern("ACCEPT_ERROR 1 .*accept.*Too many open files");
        assertThat(output).as("disarmed: no second error, no spinning")
                .containsPattern("WHILE_DISARMED polls=[0-9] acceptErrors=1 accepted=0");
        assertThat(output).contains("ACCEPTED 1");
    }

    private static String readUntil(BufferedReader out, String prefix, List<String> lines) throws Exception {
        for (String line; (line = out.readLine()) != null; ) {
            lines.add(line);
            if (line.startsWith(prefix)) {
                return line;
            }
        }
        throw new AssertionError("child ended before printing " + prefix + ":\n" + String.join("\n", lines));
    }
}
