package dev.oneloop.bench.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The C floors, built as the comparison builds them and checked from outside over loopback: exact
 * echo of a message far larger than the socket buffers (partial sends) with status lines
 * interleaved, half-close, a reader that never reads being dropped while others are served, no
 * descriptor left behind, and a clean exit on SIGTERM.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CFloorServersTest {

    private static final Pattern STATUS = Pattern.compile("Server status: \\d+ active connections\n");
    private static final Path DIR = Path.of("target", "c-floors-test").toAbsolutePath();
    private static Map<String, String> buildFailures;

    @BeforeAll
    static void build() throws IOException {
        buildFailures = CFloors.build(DIR);
    }

    /** Small limits and a fast broadcast, so a peer that never reads passes the limit within a second or two. */
    private static ServerProcess start(String binary) throws Exception {
        assumeTrue(!buildFailures.containsKey(binary), () -> binary + " not built: " + buildFailures.get(binary));
        return ServerProcess.start(List.of(DIR.resolve(binary).toString(), "--port", "0", "--status-interval", "2ms",
                "--out-limit", "96k", "--high-watermark", "64k", "--low-watermark", "16k"), null, DIR,
                DIR.resolve(binary + ".log"), 10_000);
    }

    private static byte[] payload(int size, long seed) {
        byte[] b = new byte[size];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < size; i++) {
            byte v = (byte) r.nextInt(256);
            b[i] = v == 'S' ? (byte) 's' : v;
        }
        return b;
    }

    /**
     * Reads until {@code echoBytes} echo bytes arrived (status lines removed) and no status line is
     * cut short at the end, or until EOF; returns the echo bytes. The payloads hold no {@code 'S'},
     * so an {@code 'S'} left after removing the whole lines starts a line still arriving.
     */
    private static byte[] readEcho(InputStream in, int echoBytes, boolean untilEof) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[64 << 10];
        while (true) {
            String text = STATUS.matcher(got.toString(StandardCharsets.ISO_8859_1)).replaceAll("");
            byte[] echo = text.getBytes(StandardCharsets.ISO_8859_1);
            if (!untilEof && echo.length >= echoBytes && text.indexOf('S') < 0) {
                return echo;
            }
            int n = in.read(buf);
            if (n < 0) {
                return echo;
            }
            got.write(buf, 0, n);
        }
    }

    private static long openDescriptors(long pid) throws IOException {
        try (var fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return fds.count();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll-echo", "iouring-echo"})
    void echoesAMessageFarLargerThanTheSocketBuffersExactlyBetweenStatusLines(String binary) throws Exception {
        try (ServerProcess server = start(binary); Socket s = new Socket(server.address().getAddress(), server.address().getPort())) {
            byte[] message = payload(4 << 20, 1);
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    s.getOutputStream().write(message);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            byte[] echo = readEcho(s.getInputStream(), message.length, false);
            writer.join();

            assertThat(echo).isEqualTo(message);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll-echo", "iouring-echo"})
    void echoesEveryByteAfterThePeerHalfClosesThenCloses(String binary) throws Exception {
        try (ServerProcess server = start(binary); Socket s = new Socket(server.address().getAddress(), server.address().getPort())) {
            byte[] message = payload(300_000, 2);
            s.getOutputStream().write(message);
            s.shutdownOutput();

            assertThat(readEcho(s.getInputStream(), message.length, true)).isEqualTo(message);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll-echo", "iouring-echo"})
    void dropsAPeerThatNeverReadsWhileOthersAreServedAndLeaksNoDescriptor(String binary) throws Exception {
        try (ServerProcess server = start(binary)) {
            long baseline = openDescriptors(server.pid());
            try (Socket silent = new Socket(server.address().getAddress(), server.address().getPort());
                 Socket other = new Socket(server.address().getAddress(), server.address().getPort())) {
                silent.setReceiveBufferSize(4096);
                OutputStream out = silent.getOutputStream();
                byte[] chunk = payload(64 << 10, 3);
                boolean dropped = false;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                Thread pusher = Thread.ofPlatform().daemon().start(() -> {
                    try {
                        while (true) {
                            out.write(chunk);
                        }
                    } catch (IOException e) {
                        // The server closed it: expected.
                    }
                });
                byte[] small = payload(100, 4);
                while (!dropped && System.nanoTime() < deadline) {
                    other.getOutputStream().write(small);
                    assertThat(readEcho(other.getInputStream(), small.length, false)).isEqualTo(small);
                    pusher.join(50);
                    dropped = !pusher.isAlive();
                }

                assertThat(dropped).as("the server closed the connection that never reads").isTrue();
            } catch (SocketException e) {
                throw new AssertionError("the connection that reads was disturbed", e);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (openDescriptors(server.pid()) > baseline && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(openDescriptors(server.pid())).isEqualTo(baseline);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll-echo", "iouring-echo"})
    void exitsCleanlyOnSigtermWithConnectionsOpen(String binary) throws Exception {
        ServerProcess server = start(binary);
        try (Socket s = new Socket(server.address().getAddress(), server.address().getPort())) {
            s.getOutputStream().write(payload(1000, 5));
            Process kill = new ProcessBuilder("kill", "-TERM", Long.toString(server.pid())).start();
            assertThat(kill.waitFor()).isZero();

            assertThat(server.waitForExit(10_000)).isZero();
        } finally {
            server.close();
        }
    }
}
