package dev.oneloop.backend.internal;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.Handles;
import java.net.InetSocketAddress;

/**
 * The parts of the {@link Backend} contract that every backend enforces with the same words:
 * thread confinement, stale handles, handles of the wrong kind, a closed backend, unresolved
 * addresses. Exported only to the backend modules: not API.
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
    public static IllegalStateException stale(int handle, boolean backendClosed) {
        return new IllegalStateException((backendClosed ? "backend closed; " : "") + "no open handle " + Handles.toString(handle));
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
    public static void checkDirect(java.nio.ByteBuffer src) {
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
