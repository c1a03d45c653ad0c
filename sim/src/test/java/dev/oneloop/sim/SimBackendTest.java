package dev.oneloop.sim;

import static dev.oneloop.backend.testing.TypedErrors.assertTyped;
import static org.assertj.core.api.Assertions.assertThat;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.BackendException;
import dev.oneloop.backend.ErrorKind;
import dev.oneloop.backend.Handles;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The simulator's failures are the kernel's: an injected reset, a peer gone before a send and an
 * injected EMFILE reach the handler as {@link BackendException}s with the kind and errno Linux
 * would give, so that a server decides on them as it would in production.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SimBackendTest {

    private static final BackendConfig CONFIG = new BackendConfig(8, 1024);
    private static final InetSocketAddress ANY_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @Test
    void aResetWhileAReadIsArmedIsConnectionResetErrno104() throws IOException {
        SimNetwork net = SimNetwork.realTime();
        try (SimBackend backend = new SimBackend(net, CONFIG)) {
            Recorder handler = new Recorder();
            SimConnection client = connect(net, backend, handler);
            backend.read(handler.accepted);
            net.reset(client);
            pollUntil(backend, handler, () -> !handler.errors.isEmpty());
            assertTyped(handler.errors.get(0), ErrorKind.CONNECTION_RESET, 104, "recv failed: ECONNRESET (Connection reset by peer)");
        }
    }

    @Test
    void aSendToAPeerThatClosedIsBrokenPipeErrno32() throws IOException {
        SimNetwork net = SimNetwork.realTime();
        try (SimBackend backend = new SimBackend(net, CONFIG)) {
            Recorder handler = new Recorder();
            SimConnection client = connect(net, backend, handler);
            net.close(client);
            backend.write(handler.accepted, ByteBuffer.allocateDirect(16));
            pollUntil(backend, handler, () -> !handler.errors.isEmpty());
            assertTyped(handler.errors.get(0), ErrorKind.BROKEN_PIPE, 32, "send failed: EPIPE (Broken pipe)");
        }
    }

    @Test
    void anInjectedEmfileIsTooManyOpenFilesErrno24AndStopsAcceptance() throws IOException {
        Faults emfileAlways = new Faults(false, 0, false, 1, false, 0, 0, 1, false, 0, true, 1.0, false, 0, false, 0, 1);
        SimNetwork net = SimNetwork.virtual(0, 1, emfileAlways, new Trace(false));
        try (SimBackend backend = new SimBackend(net, CONFIG)) {
            Recorder handler = new Recorder();
            int listener = backend.listen(ANY_PORT, 16);
            backend.accept(listener);
            net.connect(backend.localAddress(listener), 0, null);
            pollUntil(backend, handler, () -> !handler.acceptErrors.isEmpty());
            assertTyped(handler.acceptErrors.get(0), ErrorKind.TOO_MANY_OPEN_FILES, 24, "accept failed: EMFILE (Too many open files)");
            backend.poll(TimeUnit.MILLISECONDS.toNanos(10), handler);
            assertThat(handler.acceptErrors).as("acceptance stays disarmed until accept() again").hasSize(1);
            assertThat(handler.accepted).isEqualTo(Handles.NONE);
        }
    }

    @Test
    void listenOnAPortInUseIsAddressInUseErrno98() throws IOException {
        SimNetwork net = SimNetwork.realTime();
        try (SimBackend backend = new SimBackend(net, CONFIG)) {
            int first = backend.listen(ANY_PORT, 16);
            InetSocketAddress taken = backend.localAddress(first);
            Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> backend.listen(taken, 16));
            assertTyped(thrown, ErrorKind.ADDRESS_IN_USE, 98, "bind failed: EADDRINUSE (Address already in use)");
            assertThat(backend.openHandles()).isEqualTo(1);
        }
    }

    private static SimConnection connect(SimNetwork net, SimBackend backend, Recorder handler) throws IOException {
        int listener = backend.listen(ANY_PORT, 16);
        backend.accept(listener);
        SimConnection client = net.connect(backend.localAddress(listener), 0, null);
        pollUntil(backend, handler, () -> handler.accepted != Handles.NONE);
        return client;
    }

    private static void pollUntil(Backend backend, Backend.Handler handler, BooleanSupplier done) throws IOException {
        for (int i = 0; i < 1000 && !done.getAsBoolean(); i++) {
            backend.poll(TimeUnit.MILLISECONDS.toNanos(10), handler);
        }
        assertThat(done.getAsBoolean()).as("condition reached").isTrue();
    }

    private static final class Recorder implements Backend.Handler {
        int accepted = Handles.NONE;
        final List<IOException> errors = new ArrayList<>();
        final List<IOException> acceptErrors = new ArrayList<>();

        @Override
        public void onAccept(int listener, int connection) {
            accepted = connection;
        }

        @Override
        public void onAcceptError(int listener, IOException error) {
            acceptErrors.add(error);
        }

        @Override
        public void onRead(int connection, ByteBuffer data) {
        }

        @Override
        public void onEof(int connection) {
        }

        @Override
        public void onWritten(int connection) {
        }

        @Override
        public void onError(int connection, IOException error) {
            errors.add(error);
        }
    }
}
