package dev.oneloop.backend.epoll;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.BackendProvider;
import dev.oneloop.backend.readiness.ReadinessBackend;
import dev.oneloop.backend.testing.BackendLoop;
import dev.oneloop.backend.testing.LoopbackClient;
import dev.oneloop.backend.testing.RecordingHandler;
import dev.oneloop.backend.testing.RecordingHandler.Eof;
import dev.oneloop.backend.testing.RecordingHandler.Failed;
import dev.oneloop.backend.testing.RecordingHandler.Written;
import dev.oneloop.backend.testing.RequiredBackends;
import io.netty.channel.epoll.EpollIoOps;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;

/**
 * What the contract suite cannot see: how the epoll backend uses the kernel (edge-triggered
 * interest, EPOLLOUT only while a write waits, recv calls saved by short reads), why no SIGPIPE
 * kills it, and how it fails when Netty's native transport cannot load. (EMFILE, and the backlog
 * accepted at once when re-armed without a new edge, is the contract's FdExhaustionContract.)
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = ThreadMode.SEPARATE_THREAD)
class EpollBackendTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final BackendConfig SMALL = new BackendConfig(16, 4096);
    private static final Duration SOON = Duration.ofSeconds(10);
    private static final Duration QUIET = Duration.ofMillis(300);
    private static final long IDLE_POLLS_ALLOWED = 20;
    private static final int SMALL_WINDOW = 16 * 1024;
    /** More than tcp_wmem's default maximum (4 MiB) plus the client's small window: cannot finish unread. */
    private static final int STALLING_WRITE_SIZE = 16 * 1024 * 1024;
    /** SIGPIPE is signal 13: bit 12 of the masks in /proc/PID/status. */
    private static final long SIGPIPE_BIT = 1L << 12;

    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private BackendProvider provider;
    private BackendLoop loop;
    private RecordingHandler recorder;

    @BeforeEach
    void findBackend() {
        provider = RequiredBackends.provider(EpollBackend.NAME);
    }

    @AfterEach
    void closeEverything() throws Exception {
        while (!resources.isEmpty()) {
            resources.pop().close();
        }
    }

    @Test
    void readsEachMessageShorterThanTheBufferWithOneRecvAndAFullBufferWithTwo() throws Exception {
        start(SMALL).rearmReads(true);
        Connection c = acceptOne(0);
        loop.run(b -> b.read(c.handle));
        int messages = 50;
        byte[] message = filled((byte) 'm', 100);
        long before = receiveCalls();
        for (int i = 1; i <= messages; i++) {
            c.client.send(message);
            recorder.awaitBytes(c.handle, i * message.length, SOON); // the next one goes out only after this one was read
        }
        assertThat(receiveCalls() - before).as("recv calls for %d messages shorter than the read buffer", messages)
                .isEqualTo(messages);

        // A read that fills the buffer may have left bytes behind: the backend reads on, to EAGAIN.
        before = receiveCalls();
        c.client.send(filled((byte) 'f', SMALL.readBufferSize()));
        recorder.awaitBytes(c.handle, messages * message.length + SMALL.readBufferSize(), SOON);
        long deadline = System.nanoTime() + SOON.toNanos();
        while (receiveCalls() - before < 2 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(receiveCalls() - before).as("recv calls for one message exactly as large as the buffer").isEqualTo(2);
    }

    @Test
    void readsOnToEndOfStreamAfterAShortReadWhenThePeerHasShutDown() throws Exception {
        start(SMALL).rearmReads(true);
        Connection c = acceptOne(0);
        c.client.send(ascii("last words"));
        c.client.shutdownOutput();
        Thread.sleep(QUIET.toMillis()); // the data's edge and the FIN's are both consumed with no receive armed

        loop.run(b -> b.read(c.handle));
        recorder.awaitFirst(Eof.class, c.handle, SOON);
        assertThat(recorder.bytesRead(c.handle)).isEqualTo(ascii("last words"));
    }

    @Test
    void registersEdgeTriggeredAndAsksForEpolloutOnlyWhileAWriteWaitsForRoom() throws Exception {
        start(SMALL);
        Connection c = acceptOne(SMALL_WINDOW);
        int in = EpollIoOps.EPOLLIN.value();
        int out = EpollIoOps.EPOLLOUT.value();
        int rdhup = EpollIoOps.EPOLLRDHUP.value();
        int edgeTriggered = EpollIoOps.EPOLLET.value();

        int idle = awaitInterest(c, mask -> true);
        assertThat(idle & (in | rdhup | edgeTriggered)).as("interest of an idle connection: %x", idle).isEqualTo(in | rdhup | edgeTriggered);
        assertThat(idle & out).as("EPOLLOUT on an idle connection").isZero();

        byte[] data = filled((byte) 'w', STALLING_WRITE_SIZE);
        ByteBuffer src = ByteBuffer.allocateDirect(data.length).put(data).flip();
        loop.run(b -> b.write(c.handle, src));
        assertThat(awaitInterest(c, mask -> (mask & out) != 0) & out).as("EPOLLOUT while the write waits").isNotZero();

        assertThat(c.client.readExactly(data.length)).isEqualTo(data);
        recorder.awaitFirst(Written.class, c.handle, SOON);
        assertThat(awaitInterest(c, mask -> (mask & out) == 0) & out).as("EPOLLOUT after the write drained").isZero();

        long polls = loop.polls();
        Thread.sleep(QUIET.toMillis());
        assertThat(loop.polls() - polls).as("poll returns while idle after the write").isLessThan(IDLE_POLLS_ALLOWED);
    }

    @Test
    void writingToAConnectionThePeerResetFailsWithAnErrorAndRaisesNoSigpipe() throws Exception {
        // Netty's send passes no MSG_NOSIGNAL: the backend relies on HotSpot catching SIGPIPE.
        assertThat(signalMask("SigCgt") & SIGPIPE_BIT).as("SIGPIPE caught by the JVM").isNotZero();
        start(SMALL);
        Connection c = acceptOne(0);
        loop.run(b -> b.read(c.handle));
        c.client.reset();
        Failed reset = recorder.awaitFirst(Failed.class, c.handle, SOON); // recv takes the pending ECONNRESET

        // With the reset consumed, send fails with EPIPE, which is where the kernel raises SIGPIPE
        // unless the signal is ignored or caught.
        loop.run(b -> b.write(c.handle, direct(ascii("anyone?"))));
        recorder.awaitCount(e -> e instanceof Failed, 2, "onError of the write", SOON);
        Failed brokenPipe = (Failed) recorder.events().stream().filter(Failed.class::isInstance).skip(1).findFirst().orElseThrow();
        assertThat(reset.error()).hasMessageContaining("Connection reset");
        assertThat(brokenPipe.error()).hasMessageContaining("Broken pipe");
        assertThat(recorder.count(Written.class)).isZero();
    }

    @Test
    void failsWithNettysCauseWhenTheNativeTransportCannotLoad() throws Exception {
        Process child = startJava(List.of(), UnavailableProbe.class, "-Dio.netty.transport.noNative=true");
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(SOON.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        assertThat(child.exitValue()).as("exit code; output: %s", output).isEqualTo(2);
        assertThat(output).contains("backend 'epoll' is not available").contains("io.netty.transport.noNative");
    }

    // ---------------------------------------------------------------- helpers

    private RecordingHandler start(BackendConfig config) throws Exception {
        loop = BackendLoop.start(provider, config, backend -> recorder = new RecordingHandler(backend));
        resources.push(loop);
        return recorder;
    }

    private record Connection(int listener, int handle, LoopbackClient client) {
    }

    private Connection acceptOne(int receiveBufferSize) throws Exception {
        int listener = loop.call(b -> b.listen(new InetSocketAddress(LOOPBACK, 0), 16));
        loop.run(b -> b.accept(listener));
        LoopbackClient client = LoopbackClient.connect(loop.call(b -> b.localAddress(listener)), receiveBufferSize);
        resources.push(client);
        return new Connection(listener, recorder.awaitAccept(listener, SOON), client);
    }

    private long receiveCalls() throws Exception {
        return loop.call(b -> ((EpollBackend) ((ReadinessBackend<?>) b).mechanism()).receiveCalls());
    }

    /** Waits until the kernel's epoll interest for the server end of {@code c} matches. */
    private int awaitInterest(Connection c, IntPredicate condition) throws Exception {
        int localPort = loop.call(b -> b.localAddress(c.handle)).getPort();
        int remotePort = c.client.socket().getLocalPort();
        long deadline = System.nanoTime() + SOON.toNanos();
        OptionalInt mask = KernelEpollInterest.ofSocket(localPort, remotePort);
        while ((mask.isEmpty() || !condition.test(mask.getAsInt())) && System.nanoTime() < deadline) {
            Thread.sleep(10);
            mask = KernelEpollInterest.ofSocket(localPort, remotePort);
        }
        assertThat(mask).as("epoll registration of the server socket %d -> %d", localPort, remotePort).isPresent();
        return mask.getAsInt();
    }

    /** Starts {@code main} in a child JVM on this test's class path, after the given shell commands. */
    private static Process startJava(List<String> shellFirst, Class<?> main, String... arguments) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--enable-native-access=ALL-UNNAMED");
        List<String> programArguments = new ArrayList<>();
        for (String argument : arguments) {
            (argument.startsWith("-D") ? command : programArguments).add(argument);
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        command.addAll(programArguments);
        List<String> launcher = new ArrayList<>();
        if (shellFirst.isEmpty()) {
            launcher.addAll(command);
        } else {
            launcher.addAll(List.of("bash", "-c", String.join(" && ", shellFirst) + " && exec \"$@\"", "bash"));
            launcher.addAll(command);
        }
        return new ProcessBuilder(launcher).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    private static long signalMask(String name) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(name + ":")) {
                return Long.parseUnsignedLong(line.substring(name.length() + 1).trim(), 16);
            }
        }
        throw new IOException(name + " not in /proc/self/status");
    }

    private static ByteBuffer direct(byte[] bytes) {
        return ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] filled(byte value, int length) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, value);
        return bytes;
    }
}
