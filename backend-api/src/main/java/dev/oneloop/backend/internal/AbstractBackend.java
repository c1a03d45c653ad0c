package dev.oneloop.backend.internal;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.HandleTable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * The skeleton every backend shares, as the JDK's {@code AbstractSelector} and
 * {@code SelectorImpl} are its selectors': the loop thread, the handle table, the lifecycle, and
 * each {@link Backend} method's contract — the loop thread, an open backend, a live handle of the
 * right kind, a direct buffer, no nested {@code poll} — checked here, once, before the backend's
 * own part runs. A backend implements that part for handles already looked up: {@link #bind},
 * {@link #localAddress(HandleState)}, {@link #armAccept}, {@link #armRead}, {@link #startWrite},
 * {@link #doPoll}, {@link #closeEndpoint} and {@link #shutDown}. Exported only to the backend
 * modules: not API.
 *
 * @param <E> the backend's state of one handle
 * @param <L> its listeners' state
 * @param <C> its connections' state
 */
public abstract class AbstractBackend<E extends HandleState, L extends E, C extends E> implements Backend {

    /** The thread that opened the backend: every method but {@code wakeup} and {@code name} runs on it. */
    protected final Thread loopThread = Thread.currentThread();
    protected final HandleTable<E> endpoints;
    /** Set once {@link #close()} has run (or earlier, by {@link #shutDown}); every operation then throws. */
    protected boolean closed;
    private final Class<L> listenerType;
    private final Class<C> connectionType;
    private boolean polling;

    protected AbstractBackend(int maxHandles, Class<L> listenerType, Class<C> connectionType) {
        endpoints = new HandleTable<>(maxHandles);
        this.listenerType = listenerType;
        this.connectionType = connectionType;
    }

    @Override
    public final int listen(InetSocketAddress address, int backlog) throws IOException {
        enter("listen");
        return bind(address, Contract.checkListen(address, endpoints), backlog);
    }

    @Override
    public final InetSocketAddress localAddress(int handle) throws IOException {
        enter("localAddress");
        return localAddress(Contract.live(endpoints, handle));
    }

    @Override
    public final void accept(int listener) {
        enter("accept");
        armAccept(Contract.listener(endpoints, listener, listenerType));
    }

    @Override
    public final void read(int connection) {
        enter("read");
        armRead(Contract.connection(endpoints, connection, connectionType));
    }

    @Override
    public final void write(int connection, ByteBuffer src) {
        enter("write");
        C c = Contract.connection(endpoints, connection, connectionType);
        Contract.checkDirect(src);
        startWrite(c, connection, src);
    }

    @Override
    public final int poll(long timeoutNanos, Handler handler) throws IOException {
        enter("poll");
        if (polling) {
            throw Contract.nestedPoll();
        }
        polling = true;
        try {
            return doPoll(timeoutNanos, handler);
        } finally {
            polling = false;
        }
    }

    @Override
    public final int openHandles() {
        Contract.checkThread(loopThread, "openHandles");
        return endpoints.size();
    }

    @Override
    public final void close(int handle) {
        enter("close");
        E endpoint = endpoints.get(handle);
        if (endpoint != null) {
            endpoints.retire(handle);
            endpoint.closed = true;
            closeEndpoint(handle, endpoint);
        }
    }

    @Override
    public final void close() {
        Contract.checkThread(loopThread, "close");
        if (closed) {
            return;
        }
        endpoints.forEachLive(handle -> {
            E endpoint = endpoints.get(handle);
            endpoints.retire(handle);
            endpoint.closed = true;
            closeEndpoint(handle, endpoint);
        });
        shutDown();
        closed = true;
    }

    /** A listening socket of the family {@code ipv6} says, bound to {@code address}, under a new handle (one is free). */
    protected abstract int bind(InetSocketAddress address, boolean ipv6, int backlog) throws IOException;

    /** The address {@code endpoint}'s socket is bound to. */
    protected abstract InetSocketAddress localAddress(E endpoint) throws IOException;

    /** {@link #accept(int)} on a live listener. */
    protected abstract void armAccept(L listener);

    /** {@link #read(int)} on a live connection. */
    protected abstract void armRead(C connection);

    /** {@link #write} on a live connection {@code handle} with a direct buffer; throws if a write is in flight. */
    protected abstract void startWrite(C connection, int handle, ByteBuffer src);

    /** {@link #poll} on the loop thread, not nested in a callback of another poll. */
    protected abstract int doPoll(long timeoutNanos, Handler handler) throws IOException;

    /**
     * Closes {@code endpoint}, whose {@code handle} was just retired (it is stale already, and
     * {@code endpoint.closed} set): cancel
     * or stop what it has armed, close its socket, and {@linkplain HandleTable#release release} its
     * slot once the kernel no longer references it. No callback for it may follow.
     */
    protected abstract void closeEndpoint(int handle, E endpoint);

    /**
     * Releases the mechanism, after every handle was closed; {@link #closed} is set when this
     * returns, or earlier by this method once nothing it still runs needs it clear.
     */
    protected abstract void shutDown();

    /** The contract's entry checks of {@code method}: the loop thread (one reference compare), an open backend. */
    protected final void enter(String method) {
        Contract.enter(loopThread, closed, method);
    }
}
