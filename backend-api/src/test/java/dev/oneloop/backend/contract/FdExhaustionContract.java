package dev.oneloop.backend.contract;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oneloop.backend.testing.LoopbackClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Out of file descriptors: acceptance that fails with EMFILE (on io_uring a multishot ACCEPT that
 * ends without {@code IORING_CQE_F_MORE}) is reported once, as a {@code BackendException} of kind
 * {@code TOO_MANY_OPEN_FILES} with errno 24, and stays disarmed, without spinning, until
 * {@code accept} is called again; the connections that could not be accepted wait in the backlog
 * meanwhile, and are all accepted once re-armed although no new connection arrives (an
 * edge-triggered backend gets no new edge). Runs in a child JVM ({@link FdExhaustionProbe}) under
 * {@code ulimit -n 512}, whose descriptors it may use up. Kernel backends only: a simulation has no
 * descriptors to run out of.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class FdExhaustionContract extends ContractSuite {

    /** Descriptors left free in the child: that many connections are accepted before EMFILE. */
    private static final int ROOM = 3;
    private static final int CLIENTS = ROOM + 2;

    @Test
    void emfileStopsAcceptanceOnceUntilItIsArmedAgain() throws Exception {
        List<String> java = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                FdExhaustionProbe.class.getName(), backendName(), String.valueOf(ROOM), String.valueOf(CLIENTS));
        List<String> command = new ArrayList<>(List.of("bash", "-c", "ulimit -n 512 && exec \"$@\"", "bash"));
        command.addAll(java);
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                OutputStream in = child.getOutputStream()) {
            String portLine = readUntil(out, "PORT ", lines);
            int port = Integer.parseInt(portLine.split(" ")[1]);
            for (int i = 0; i < CLIENTS; i++) {
                LoopbackClient client = LoopbackClient.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                resources.push(client);
                lines.add("parent: connected from port " + client.socket().getLocalPort());
            }
            in.write('\n');
            in.flush();
            for (String line; (line = out.readLine()) != null; ) {
                lines.add(line);
            }
        } finally {
            if (!child.waitFor(30, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
        }
        String output = String.join("\n", lines);
        assertThat(child.exitValue()).as(output).isZero();
        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(output).as("the connections that fit").contains("ACCEPTED " + ROOM + "\n");
        soft.assertThat(output).containsPattern("ACCEPT_ERROR 1 \\S+ \\S+ .*accept.*Too many open files");
        soft.assertThat(output).as("the accept error's kind and errno")
                .contains("ACCEPT_ERROR 1 TOO_MANY_OPEN_FILES 24 ");
        soft.assertThat(output).as("disarmed: no second error, no spinning")
                .containsPattern("WHILE_DISARMED polls=[0-9] acceptErrors=1 accepted=0");
        soft.assertThat(output).as("the backlog accepted once armed again")
                .contains("ACCEPTED_AFTER_REARM " + (CLIENTS - ROOM));
        soft.assertAll();
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
