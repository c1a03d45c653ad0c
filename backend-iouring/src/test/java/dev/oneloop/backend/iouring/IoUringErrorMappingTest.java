package dev.oneloop.backend.iouring;

import static dev.oneloop.backend.testing.TypedErrors.assertTyped;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.BackendException;
import dev.oneloop.backend.ErrorKind;
import dev.oneloop.backend.Handles;
import dev.oneloop.backend.testing.LoopbackClient;
import dev.oneloop.backend.testing.RequiredBackends;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How this backend turns the kernel's answers into the contract's typed errors: a negative CQE
 * result or a failed libc call becomes a {@link BackendException} with that errno and its kind.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class IoUringErrorMappingTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @BeforeAll
    static void ioUringIsAvailable() {
        RequiredBackends.provider(IoUringBackendProvider.NAME);
    }

    @Test
    void aNegatedErrnoIsTypedByItsNumber() {
        assertTyped(Libc.error("recv", -104), ErrorKind.CONNECTION_RESET, 104, "recv failed: ECONNRESET (Connection reset by peer)");
        assertTyped(Libc.error("send", -32), ErrorKind.BROKEN_PIPE, 32, "send failed: EPIPE (Broken pipe)");
        assertTyped(Libc.error("accept", -24), ErrorKind.TOO_MANY_OPEN_FILES, 24, "accept failed: EMFILE (Too many open files)");
        assertTyped(Libc.error("accept", -103), ErrorKind.CONNECTION_RESET, 103, "accept failed: ECONNABORTED (Software caused connection abort)");
        assertTyped(Libc.error("bind", 98), ErrorKind.ADDRESS_IN_USE, 98, "bind failed: EADDRINUSE (Address already in use)");
        assertTyped(Libc.error("recv", -95), ErrorKind.OTHER, 95, "recv failed: errno 95"); // EOPNOTSUPP: not in the table
    }

    @Test
    void aResetUnderAnArmedMultishotRecvIsConnectionReset() throws Exception {
        try (IoUringBackend backend = new IoUringBackend(new BackendConfig(8, 4096))) {
            Recorder handler = new Recorder();
            int listener = backend.listen(new InetSocketAddress(LOOPBACK, 0), 16);
            backend.accept(listener);
            try (LoopbackClient client = LoopbackClient.connect(backend.localAddress(listener))) {
                pollUntil(backend, handler, () -> handler.accepted != Handles.NONE);
                backend.read(handler.accepted);
                backend.poll(Backend.NO_WAIT, handler); // the RECV is in the kernel
                client.reset();
                pollUntil(backend, handler, () -> handler.error != null);
            }
            assertTyped(handler.error, ErrorKind.CONNECTION_RESET, 104, "recv failed: ECONNRESET (Connection reset by peer)");
        }
    }

    @Test
    void aFailedBindIsAddressInUseAndLeavesNothingOpen() throws Exception {
        try (ServerSocket other = new ServerSocket(0, 16, LOOPBACK);
                IoUringBackend backend = new IoUringBackend(new BackendConfig(8, 4096))) {
            Throwable thrown = catchThrowable(() -> backend.listen(new InetSocketAddress(LOOPBACK, other.getLocalPort()), 16));
            assertTyped(thrown, ErrorKind.ADDRESS_IN_USE, 98, "bind failed: EADDRINUSE (Address already in use)");
            assertThat(backend.openHandles()).isZero();
        }
    }

    private static void pollUntil(Backend backend, Backend.Handler handler, BooleanSupplier done) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition reached in time").isLessThan(deadline);
            backend.poll(TimeUnit.MILLISECONDS.toNanos(10), handler);
        }
    }

    private static final class Recorder implements Backend.Handler {
        int accepted = Handles.NONE;
        IOException error;

        @Override
        public void onAccept(int listener, int connection) {
            accepted = connection;
        }

        @Override
        public void onAcceptError(int listener, IOException e) {
            throw new AssertionError("unexpected accept error", e);
        }

        @Override
        public void onRead(int connection, ByteBuffer data) {
            throw new AssertionError("unexpected read of " + data.remaining() + " bytes");
        }

        @Override
        public void onEof(int connection) {
            throw new AssertionError("unexpected EOF");
        }

        @Override
        public void onWritten(int connection) {
        }

        @Override
        public void onError(int connection, IOException e) {
            error = e;
        }
    }
}
