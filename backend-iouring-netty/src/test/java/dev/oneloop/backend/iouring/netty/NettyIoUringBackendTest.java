package dev.oneloop.backend.iouring.netty;

import static dev.oneloop.backend.iouring.netty.Recorder.pollUntil;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static dev.oneloop.backend.testing.TypedErrors.assertTyped;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.BackendException;
import dev.oneloop.backend.ErrorKind;
import dev.oneloop.backend.Handles;
import dev.oneloop.backend.testing.RequiredBackends;
import io.netty.channel.unix.Errors;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * io_uring specifics beyond the contract suite: completions recorded in a turn and dropped because
 * an earlier callback of the same turn closed their connection, short sends continued, the FIN
 * and the freed port after cancelling a RECV or a multishot ACCEPT in flight.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NettyIoUringBackendTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private Backend backend;
    private Recorder recorder;
    private final List<Socket> clients = new ArrayList<>();

    @BeforeAll
    static void ioUringIsAvailable() {
        RequiredBackends.provider(NettyIoUringBackendProvider.NAME);
    }

    @BeforeEach
    void open() throws IOException {
        backend = new NettyIoUringBackendProvider().open(new BackendConfig(16, 1024));
        recorder = new Recorder();
    }

    @AfterEach
    void closeAll() throws IOException {
        for (Socket client : clients) {
            client.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private int listen() throws IOException {
        int listener = backend.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        backend.accept(listener);
        return listener;
    }

    private Socket connect(int listener) throws IOException {
        Socket client = new Socket(InetAddress.getLoopbackAddress(), backend.localAddress(listener).getPort());
        client.setSoTimeout((int) WAIT.toMillis());
        clients.add(client);
        return client;
    }

    private int acceptOne() throws IOException {
        int before = recorder.accepted.size();
        pollUntil(backend, recorder, WAIT, () -> recorder.accepted.size() > before);
        return recorder.accepted.get(before);
    }

    private static ByteBuffer direct(byte[] bytes) {
        return ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
    }

    @Test
    void continuesShortSendsUntilTheWholeBufferIsWritten() throws Exception {
        int listener = listen();
        Socket client = connect(listener);
        int connection = acceptOne();
        byte[] payload = new byte[16 << 20];
        new Random(7).nextBytes(payload);
        ByteBuffer out = direct(payload);
        backend.write(connection, out);

        // The client starts reading only after the kernel's socket buffers are full, so the first SENDMSG is short.
        for (int i = 0; i < 20; i++) {
            backend.poll(TimeUnit.MILLISECONDS.toNanos(5), recorder);
        }
        assertThat(recorder.written).as("16 MiB cannot fit into loopback socket buffers").isEmpty();
        assertThat(out.position()).as("a short send was reported and continued").isStrictlyBetween(0, payload.length);
        byte[] got = new byte[payload.length];
        Thread reader = Thread.ofPlatform().start(() -> {
            try {
                client.getInputStream().readNBytes(got, 0, got.length);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        pollUntil(backend, recorder, Duration.ofSeconds(20), () -> recorder.written.contains(connection));
        reader.join(WAIT.toMillis());
        assertThat(out.position()).isEqualTo(payload.length);
        assertThat(Arrays.equals(got, payload)).as("bytes arrive complete and in order").isTrue();
    }

    @Test
    void closeWithRecvInFlightSendsFinWithinOneTurn() throws IOException {
        int listener = listen();
        Socket client = connect(listener);
        int connection = acceptOne();
        backend.read(connection);
        backend.poll(Backend.NO_WAIT, recorder); // the RECV reaches the kernel and waits there

        backend.close(connection);
        assertThat(backend.openHandles()).isEqualTo(1);
        // One turn submits the ASYNC_CANCEL and reaps the cancelled RECV; then the fd is closed.
        backend.poll(TimeUnit.MILLISECONDS.toNanos(200), recorder);
        client.setSoTimeout(1000);
        assertThat(client.getInputStream().read()).as("FIN").isEqualTo(-1);
        assertThat(recorder.events).extracting(Recorder.Event::kind).containsExactly("accept");
    }

    @Test
    void lateCompletionOfAClosedConnectionNeverReachesTheConnectionReusingItsSlot() throws Exception {
        backend.close();
        // A listener and two connections fill the table: a third connection can only get a freed slot.
        backend = new NettyIoUringBackendProvider().open(new BackendConfig(3, 1024));
        int listener = listen();
        Socket first = connect(listener);
        int firstHandle = acceptOne();
        Socket second = connect(listener);
        int secondHandle = acceptOne();
        backend.read(firstHandle);
        backend.read(secondHandle);
        backend.poll(Backend.NO_WAIT, recorder);

        // One turn completes: RECV(second), RECV(first), ACCEPT(third). The handler closes the first
        // connection on the first callback, while its RECV completion is recorded but undelivered;
        // the third connection then takes the first one's slot.
        second.getOutputStream().write("2".getBytes(US_ASCII));
        first.getOutputStream().write("first".getBytes(US_ASCII));
        Socket third = connect(listener);
        Thread.sleep(100);
        Recorder closingFirst = new Recorder() {
            @Override
            public void onRead(int connection, ByteBuffer data) {
                super.onRead(connection, data);
                backend.close(firstHandle);
            }
        };
        backend.poll(TimeUnit.MILLISECONDS.toNanos(500), closingFirst);

        assertThat(closingFirst.events).extracting(Recorder.Event::kind).containsExactly("read", "accept");
        assertThat(closingFirst.received).containsOnlyKeys(secondHandle);
        int thirdHandle = closingFirst.accepted.get(0);
        assertThat(Handles.slot(thirdHandle)).isEqualTo(Handles.slot(firstHandle));
        assertThat(thirdHandle).isNotEqualTo(firstHandle);

        backend.read(thirdHandle);
        third.getOutputStream().write("third".getBytes(US_ASCII));
        pollUntil(backend, closingFirst, WAIT, () -> closingFirst.bytesOf(thirdHandle).length == 5);
        assertThat(new String(closingFirst.bytesOf(thirdHandle), US_ASCII)).isEqualTo("third");
        assertThat(closingFirst.received).doesNotContainKey(firstHandle);
        assertThatThrownBy(() -> backend.read(firstHandle)).isInstanceOf(IllegalStateException.class);
        assertThat(first.getInputStream().read()).as("the closed connection's peer sees the close").isEqualTo(-1);
    }

    @Test
    void peerResetIsAnErrorOnTheArmedReadAndOnWritesAfterIt() throws IOException {
        int listener = listen();
        Socket client = connect(listener);
        int connection = acceptOne();
        backend.read(connection);
        backend.poll(Backend.NO_WAIT, recorder);
        client.setSoLinger(true, 0);
        client.close(); // RST

        pollUntil(backend, recorder, WAIT, () -> recorder.errors.containsKey(connection));
        assertTyped(recorder.errors.get(connection), ErrorKind.CONNECTION_RESET, 104, "recv failed: ECONNRESET (Connection reset by peer)");
        // Writing to a reset socket fails with EPIPE or ECONNRESET; MSG_NOSIGNAL keeps SIGPIPE away.
        backend.write(connection, direct(new byte[128]));
        recorder.errors.clear();
        pollUntil(backend, recorder, WAIT, () -> recorder.errors.containsKey(connection));
        assertThat(recorder.errors.get(connection)).isInstanceOfSatisfying(BackendException.class, e -> {
            assertThat(Map.entry(e.kind(), e.errno())).isIn(Map.entry(ErrorKind.BROKEN_PIPE, 32),
                    Map.entry(ErrorKind.CONNECTION_RESET, 104));
            assertThat(e).hasMessageStartingWith("send failed: "); // a SENDMSG, named as every backend names a send
        });
        assertThat(recorder.written).isEmpty();
        backend.close(connection);
        assertThat(backend.openHandles()).isEqualTo(1);
    }

    @Test
    void closingAListenerStopsAcceptingAndFreesItsPort() throws IOException {
        int listener = listen();
        InetSocketAddress address = backend.localAddress(listener);
        backend.close(listener);
        backend.poll(TimeUnit.MILLISECONDS.toNanos(50), recorder);
        assertThat(backend.openHandles()).isZero();
        assertThatThrownBy(() -> backend.accept(listener)).isInstanceOf(IllegalStateException.class);
        backend.close(listener); // a stale handle: nothing happens

        int again = backend.listen(address, 16);
        assertThat(backend.localAddress(again)).isEqualTo(address);
    }

    @Test
    void operationsOnAnotherThreadAreRefused() throws Exception {
        int listener = listen();
        Throwable[] failure = new Throwable[1];
        Thread other = Thread.ofPlatform().start(() -> {
            try {
                backend.accept(listener);
            } catch (Throwable t) {
                failure[0] = t;
            }
        });
        other.join();
        assertThat(failure[0]).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aCallbackMayCloseTheWholeBackend() throws IOException {
        int listener = listen();
        Socket first = connect(listener);
        Socket second = connect(listener);
        Backend closing = backend;
        Recorder closesOnFirstAccept = new Recorder() {
            @Override
            public void onAccept(int l, int connection) {
                super.onAccept(l, connection);
                closing.close();
            }
        };
        pollUntil(backend, closesOnFirstAccept, WAIT, () -> !closesOnFirstAccept.accepted.isEmpty());
        backend = null;
        assertThat(closesOnFirstAccept.accepted).hasSize(1);
        assertThat(first.getInputStream().read()).isEqualTo(-1);
        assertThat(second.getInputStream().read()).isEqualTo(-1);
        assertThatThrownBy(() -> closing.poll(Backend.NO_WAIT, recorder)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aWriteCutShortByCloseSendsNothingFromTheBufferReusedAfterwards() throws IOException {
        int listener = listen();
        Socket client = connect(listener);
        int connection = acceptOne();
        byte[] secret = "another client's bytes".getBytes(US_ASCII);
        ByteBuffer out = direct("bye".getBytes(US_ASCII));

        // The SENDMSG is still in the submission queue when close returns and the caller reuses the buffer.
        backend.write(connection, out);
        backend.close(connection);
        out.clear();
        out.put(secret, 0, out.remaining());
        backend.poll(TimeUnit.MILLISECONDS.toNanos(100), recorder);

        assertThat(client.getInputStream().readAllBytes()).as("bytes the peer received after the close").isEmpty();
        assertThat(recorder.written).isEmpty();
    }

    @Test
    void nettysNativeErrorsAreTypedByTheirErrno() {
        // Netty's NativeIoException carries -errno: the kind comes from it, not from the message.
        BackendException bind = NettyIoUringBackend.typed("bind", Errors.newIOException("bind", -98));
        assertThat(bind.kind()).isEqualTo(ErrorKind.ADDRESS_IN_USE);
        assertThat(bind.errno()).isEqualTo(98);
        assertThat(bind).hasMessage("bind failed: EADDRINUSE (Address already in use)");
        assertThat(bind.getCause()).isInstanceOf(Errors.NativeIoException.class);
        // Anything else (a JNI-raised IOException) by the strerror text that ends its message.
        BackendException setsockopt = NettyIoUringBackend.typed("setsockopt", new IOException("setsockopt() failed: Too many open files"));
        assertThat(setsockopt.kind()).isEqualTo(ErrorKind.TOO_MANY_OPEN_FILES);
        assertThat(setsockopt.errno()).isEqualTo(24);
    }

    @Test
    void listenOnAPortInUseIsAddressInUseFromNettysBind() throws IOException {
        try (ServerSocket other = new ServerSocket(0, 16, InetAddress.getLoopbackAddress())) {
            Throwable thrown = catchThrowable(() -> backend.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), other.getLocalPort()), 16));
            assertTyped(thrown, ErrorKind.ADDRESS_IN_USE, 98, "bind failed: EADDRINUSE (Address already in use)");
        }
        assertThat(backend.openHandles()).isZero();
    }

    @Test
    void listeningSocketsHaveTheFamilyAskedFor() throws IOException {
        int solSocket = 1;
        int soDomain = 39;
        io.netty.channel.unix.Socket v4 = NettyIoUringBackend.StreamSockets.open(false);
        io.netty.channel.unix.Socket v6 = NettyIoUringBackend.StreamSockets.open(true);
        try {
            assertThat(v4.getIntOpt(solSocket, soDomain)).as("AF_INET").isEqualTo(2);
            assertThat(v6.getIntOpt(solSocket, soDomain)).as("AF_INET6").isEqualTo(10);
        } finally {
            v4.close();
            v6.close();
        }
    }

    @Test
    void theIpv4WildcardGetsAnIpv4SocketNotNettysDualStackDefault() throws Exception {
        InetAddress ipv6Loopback = InetAddress.getByName("::1");
        try (ServerSocket probe = new ServerSocket(0, 1, ipv6Loopback)) {
            assertThat(probe.getLocalPort()).isPositive();
        } catch (IOException e) {
            assumeTrue(false, "no IPv6 loopback here: " + e);
        }
        int listener = backend.listen(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 0), 16);
        backend.accept(listener);
        InetSocketAddress address = backend.localAddress(listener);
        assertThat(address.getAddress()).isInstanceOf(Inet4Address.class);
        assertThatThrownBy(() -> new Socket(ipv6Loopback, address.getPort()).close())
                .as("an IPv6 client of an IPv4-only listener").isInstanceOf(ConnectException.class);
        Socket client = new Socket(InetAddress.getByName("127.0.0.1"), address.getPort());
        clients.add(client);
        acceptOne();
    }
}
