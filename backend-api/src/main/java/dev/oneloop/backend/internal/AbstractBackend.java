package dev.oneloop.backend.internal;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.HandleTable;

/**
 * The skeleton every backend shares, as the JDK's {@code AbstractSelector} is its selectors': the
 * loop thread, the handle table, the lifecycle, and the {@link Backend} methods that are pure
 * contract ({@link #openHandles()}, {@link #close(int)}, {@link #close()}), so that they are
 * written and enforced once. A backend implements the operations and two hooks:
 * {@link #closeEndpoint} and {@link #shutDown}. Exported only to the backend modules: not API.
 *
 * @param <E> the backend's state of one handle
 */
public abstract class AbstractBackend<E> implements Backend {

    /** The thread that opened the backend: every method but {@code wakeup} and {@code name} runs on it. */
    protected final Thread loopThread = Thread.currentThread();
    protected final HandleTable<E> endpoints;
    /** Set once {@link #close()} has run (or earlier, by {@link #shutDown}); every operation then throws. */
    protected boolean closed;

    protected AbstractBackend(int maxHandles) {
        endpoints = new HandleTable<>(maxHandles);
    }

    /** The contract's entry checks of {@code method}: the loop thread (one reference compare), an open backend. */
    protected final void enter(String method) {
        Contract.enter(loopThread, closed, method);
    }

    /** What {@code handle} names; throws if it is stale. */
    protected final E live(int handle) {
        return Contract.live(endpoints, handle);
    }

    /** The connection {@code handle} names; throws if it is stale or a listener. */
    protected final <C extends E> C connection(int handle, Class<C> type) {
        return Contract.connection(endpoints, handle, type);
    }

    /** The listener {@code handle} names; throws if it is stale or a connection. */
    protected final <L extends E> L listener(int handle, Class<L> type) {
        return Contract.listener(endpoints, handle, type);
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
            closeEndpoint(handle, endpoint);
        });
        shutDown();
        closed = true;
    }

    /**
     * Closes {@code endpoint}, whose {@code handle} was just retired (it is stale already): cancel
     * or stop what it has armed, close its socket, and {@linkplain HandleTable#release release} its
     * slot once the kernel no longer references it. No callback for it may follow.
     */
    protected abstract void closeEndpoint(int handle, E endpoint);

    /**
     * Releases the mechanism, after every handle was closed; {@link #closed} is set when this
     * returns, or earlier by this method once nothing it still runs needs it clear.
     */
    protected abstract void shutDown();
}
