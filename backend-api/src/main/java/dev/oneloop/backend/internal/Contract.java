package dev.oneloop.backend.internal;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendException;
import dev.oneloop.backend.HandleTable;
import dev.oneloop.backend.Handles;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * The parts of the {@link Backend} contract that every backend enforces with the same words:
 * thread confinement, stale handles, handles of the wrong kind, a closed backend, unresolved
 * addresses, out of handles. Exported only to the backend modules: not API.
 */
public final class Contract {

    private Contract() {
    }

    /** Throws unless the caller is {@code owner}, the loop thread. */
    public static void checkThread(Thread owner, String method) {
        Thread current = Thread.currentThread();
        if (current != owner) {
            throw new IllegalStateException(method + " called on " + current + ", not on the loop thread " + owner);
        }
    }

    /** A method's entry checks: the loop thread (one reference compare), then an open backend. */
    public static void enter(Thread loopThread, boolean closed, String method) {
        checkThread(loopThread, method);
        checkOpen(closed);
    }

    /** Throws if the backend is closed. */
    public static void checkOpen(boolean closed) {
        if (closed) {
            throw backendClosed();
        }
    }

    public static IllegalStateException backendClosed() {
        return new IllegalStateException("backend closed");
    }

    /** An operation named a handle that is not open (never was, or was closed). */
    public static IllegalStateException stale(int handle) {
        return new IllegalStateException("no open handle " + Handles.toString(handle));
    }

    /** The connection {@code handle} names, of the backend's class {@code type}: throws if it is stale or a listener. */
    public static <T, C extends T> C connection(HandleTable<T> handles, int handle, Class<C> type) {
        T value = handles.get(handle);
        if (type.isInstance(value)) {
            return type.cast(value);
        }
        throw value == null ? stale(handle) : notAConnection(handle);
    }

    /** The listener {@code handle} names, of the backend's class {@code type}: throws if it is stale or a connection. */
    public static <T, L extends T> L listener(HandleTable<T> handles, int handle, Class<L> type) {
        T value = handles.get(handle);
        if (type.isInstance(value)) {
            return type.cast(value);
        }
        throw value == null ? stale(handle) : notAListener(handle);
    }

    /** What {@code handle} names, listener or connection: throws if it is stale. */
    public static <T> T live(HandleTable<T> handles, int handle) {
        T value = handles.get(handle);
        if (value == null) {
            throw stale(handle);
        }
        return value;
    }

    /**
     * {@code listen}'s checks before a socket is made: a resolved address and a free handle.
     * Returns the socket family the address needs: {@code true} for IPv6.
     */
    public static boolean checkListen(InetSocketAddress address, HandleTable<?> handles) throws BackendException {
        boolean ipv6 = ipv6(address);
        if (handles.size() >= handles.capacity()) {
            throw BackendException.outOfHandles("cannot listen on " + address, handles.capacity());
        }
        return ipv6;
    }

    /** A connection operation named a listener. */
    public static IllegalStateException notAConnection(int handle) {
        return new IllegalStateException("not a connection: " + Handles.toString(handle));
    }

    /** {@code accept} named a connection. */
    public static IllegalStateException notAListener(int handle) {
        return new IllegalStateException("not a listener: " + Handles.toString(handle));
    }

    /** A second write while one is in flight. */
    public static IllegalStateException writeInFlight(int handle) {
        return new IllegalStateException("a write is already in flight on " + Handles.toString(handle));
    }

    /** {@code write} needs a direct buffer. */
    public static void checkDirect(ByteBuffer src) {
        if (!src.isDirect()) {
            throw new IllegalArgumentException("write needs a direct buffer, got " + src);
        }
    }

    /** {@code poll} from inside one of its own callbacks. */
    public static IllegalStateException nestedPoll() {
        return new IllegalStateException("poll called from inside a callback");
    }

    /**
     * Checks that {@code address} is resolved and says which socket family it needs: {@code true}
     * for an IPv6 address ({@code AF_INET6}), {@code false} for IPv4 ({@code AF_INET}, IPv4 only).
     */
    public static boolean ipv6(InetSocketAddress address) {
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("cannot listen on unresolved address " + address);
        }
        return address.getAddress() instanceof java.net.Inet6Address;
    }
}
