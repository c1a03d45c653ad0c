package dev.oneloop.backend.internal;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendException;
import java.nio.ByteBuffer;

/**
 * The one write a completion-model connection may have in flight: the caller's buffer from
 * {@code write()} until its last {@code SEND} completes — even after a close, for the kernel may
 * still read it — and the buffer's address, cached, for a connection usually writes from the same
 * few buffers. Loop thread only.
 */
public final class PendingWrite {

    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    private static final int ENOBUFS = 105;

    private final DirectAddresses addresses;
    private ByteBuffer buffer;
    private ByteBuffer lastBuffer;
    private long lastAddress;

    /** A connection's pending write, finding addresses in the backend's shared {@code addresses}. */
    public PendingWrite(DirectAddresses addresses) {
        this.addresses = addresses;
    }

    /** Takes {@code src} for connection {@code handle}; throws if a write is in flight. */
    public void start(int handle, ByteBuffer src) {
        if (buffer != null) {
            throw Contract.writeInFlight(handle);
        }
        buffer = src;
    }

    /** Whether a buffer is held: from {@link #start} until {@link #end}. */
    public boolean inFlight() {
        return buffer != null;
    }

    /** The address of the next byte to send. */
    public long address() {
        if (lastBuffer != buffer) {
            lastAddress = addresses.of(buffer);
            lastBuffer = buffer;
        }
        return lastAddress + buffer.position();
    }

    /** The bytes left to send. */
    public int remaining() {
        return buffer.remaining();
    }

    /**
     * Takes the result of a completed {@code SEND} of connection {@code handle} (bytes sent, or
     * {@code -errno}). If the write has ended — every byte sent, or an error — delivers
     * {@code onWritten} or {@code onError} and returns 1 (one callback). If bytes remain — a short
     * send, or {@code EAGAIN}, {@code EINTR}, {@code ENOBUFS}, which only mean "not now" — returns
     * 0: send again from {@link #address()}.
     */
    public int completed(int res, int handle, Backend.Handler handler) {
        if (res >= 0 || res == -EAGAIN || res == -EINTR || res == -ENOBUFS) {
            if (res > 0) {
                buffer.position(buffer.position() + res);
            }
            if (buffer.hasRemaining()) {
                return 0;
            }
            buffer = null;
            handler.onWritten(handle);
        } else {
            buffer = null;
            handler.onError(handle, BackendException.ofErrno("send", res));
        }
        return 1;
    }

    /** Lets the buffer go: the kernel is done with it (completed, failed or cancelled). */
    public void end() {
        buffer = null;
    }
}
