package dev.oneloop.backend.testing;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.Handles;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Echoes each connection's bytes back to it and nothing else, allocating nothing per message: one
 * outbound direct buffer per slot, made when a slot first hosts a connection. A receive is re-armed
 * only once the echo of the previous one is written, so a slow reader slows its writer (TCP flow
 * control), and a connection whose peer half-closes is closed once everything was echoed.
 */
public final class EchoHandler implements Backend.Handler {

    private final Backend backend;
    private final ByteBuffer[] outbound;
    private final int bufferSize;
    private volatile IOException lastAcceptError;
    /** Loop thread only, like the handler itself. */
    private long bytesEchoed;

    public EchoHandler(Backend backend, BackendConfig config) {
        this.backend = backend;
        this.outbound = new ByteBuffer[config.maxHandles()];
        this.bufferSize = config.readBufferSize();
    }

    /** Bytes received and handed back to {@code write} so far; read it on the loop thread. */
    public long bytesEchoed() {
        return bytesEchoed;
    }

    /** The last accept error seen, or {@code null}; acceptance stops after one (see the contract). */
    public IOException lastAcceptError() {
        return lastAcceptError;
    }

    @Override
    public void onAccept(int listener, int connection) {
        int slot = Handles.slot(connection);
        if (outbound[slot] == null) {
            outbound[slot] = ByteBuffer.allocateDirect(bufferSize);
        }
        backend.read(connection);
    }

    @Override
    public void onAcceptError(int listener, IOException error) {
        lastAcceptError = error;
    }

    @Override
    public void onRead(int connection, ByteBuffer data) {
        ByteBuffer echo = outbound[Handles.slot(connection)];
        bytesEchoed += data.remaining();
        echo.clear();
        echo.put(data);
        echo.flip();
        backend.write(connection, echo);
    }

    @Override
    public void onWritten(int connection) {
        backend.read(connection);
    }

    @Override
    public void onEof(int connection) {
        // Nothing is pending here: a receive is only armed after the previous echo was written.
        backend.close(connection);
    }

    @Override
    public void onError(int connection, IOException error) {
        backend.close(connection);
    }
}
