package dev.oneloop.backend.internal;

import dev.oneloop.backend.Handles;
import java.nio.ByteBuffer;

/**
 * What the completion backends ({@code iouring}, {@code iouring-netty}) share beyond
 * {@link AbstractBackend}: the write path. A connection's one {@link PendingWrite} is kept per
 * slot — a slot is reused only after the kernel let go of its last {@code SEND} — and a write is
 * sent, and a short send continued, by the backend's {@link #submitSend}. Exported only to the
 * backend modules: not API.
 */
public abstract class CompletionBackend<E extends HandleState, L extends E, C extends E> extends AbstractBackend<E, L, C> {

    private final DirectAddresses writeAddresses = new DirectAddresses();
    private final PendingWrite[] writes;

    protected CompletionBackend(int maxHandles, Class<L> listenerType, Class<C> connectionType) {
        super(maxHandles, listenerType, connectionType);
        writes = new PendingWrite[maxHandles];
    }

    /** Submits a {@code SEND} of what remains of {@code connection}'s {@linkplain #write write}. */
    protected abstract void submitSend(C connection);

    /** The write of {@code connection}: its buffer from {@code write()} until the last {@code SEND} of it completes. */
    protected final PendingWrite write(C connection) {
        int slot = Handles.slot(connection.handle);
        PendingWrite write = writes[slot];
        if (write == null) {
            write = new PendingWrite(writeAddresses);
            writes[slot] = write;
        }
        return write;
    }

    @Override
    protected final void startWrite(C connection, int handle, ByteBuffer src) {
        write(connection).start(handle, src);
        submitSend(connection);
    }

    /**
     * A {@code SEND} of {@code connection} completed with {@code res} (bytes, or {@code -errno}):
     * delivers the write's end (1 callback) or continues a short send (0).
     */
    protected final int sendCompleted(C connection, int res, Handler handler) {
        int delivered = write(connection).completed(res, connection.handle, handler);
        if (delivered == 0) {
            submitSend(connection); // a short send: continue from where the kernel stopped
        }
        return delivered;
    }

    /** Forgets the buffers' addresses, after the kernel let go of every buffer ({@code shutDown}). */
    protected final void forgetWriteAddresses() {
        writeAddresses.clear();
    }
}
