package dev.oneloop.backend.testing;

import java.io.IOException;
import java.time.Duration;
import java.util.SplittableRandom;

/**
 * The client end of one connection in the contract suite: a real loopback socket
 * ({@link LoopbackClient}) for the kernel backends, or a simulated peer for a simulated network.
 * Every method blocks like a plain blocking socket and gives up after a generous timeout.
 */
public interface Peer extends AutoCloseable {

    void send(byte[] bytes, int offset, int length) throws IOException;

    default void send(byte[] bytes) throws IOException {
        send(bytes, 0, bytes.length);
    }

    /** Sends {@code data} as separate writes of 1 to {@code maxFragment} bytes. */
    default void sendInFragments(byte[] data, SplittableRandom random, int maxFragment) throws IOException {
        int offset = 0;
        while (offset < data.length) {
            int length = Math.min(data.length - offset, 1 + random.nextInt(maxFragment));
            send(data, offset, length);
            offset += length;
        }
    }

    /** Reads exactly {@code count} bytes; fails on end of stream or after the read timeout. */
    byte[] readExactly(int count) throws IOException;

    /** Fills {@code into} completely; fails on end of stream or after the read timeout. */
    default void readFully(byte[] into) throws IOException {
        int offset = 0;
        byte[] chunk = new byte[into.length];
        while (offset < into.length) {
            int n = read(chunk, into.length - offset);
            if (n < 0) {
                throw new java.io.EOFException("end of stream after " + offset + " of " + into.length + " bytes");
            }
            System.arraycopy(chunk, 0, into, offset, n);
            offset += n;
        }
    }

    /** Reads until end of stream; fails after the read timeout. */
    byte[] readToEnd() throws IOException;

    /** Reads at most {@code max} bytes, blocking for at least one; -1 at end of stream. */
    int read(byte[] into, int max) throws IOException;

    /**
     * Reads and discards until the server closes the connection (end of stream or reset); {@code false}
     * if it is still open after {@code timeout}.
     */
    boolean awaitClosedByPeer(Duration timeout) throws IOException;

    /** Half-closes: the server sees end of stream after the bytes sent so far. */
    void shutdownOutput() throws IOException;

    /** Closes abortively, so the server sees a reset instead of end of stream. */
    void reset() throws IOException;

    @Override
    void close() throws IOException;

    /** Opens peers: how the contract suite reaches a listener. */
    @FunctionalInterface
    interface Connector {

        /** Real loopback TCP sockets. */
        Connector LOOPBACK = LoopbackClient::connect;

        /**
         * Connects to {@code address}; with {@code receiveBufferSize > 0} the peer's receive window is
         * that small, so a peer that does not read stalls its sender early.
         *
         * @throws java.net.ConnectException if nothing listens there
         */
        Peer connect(java.net.InetSocketAddress address, int receiveBufferSize) throws IOException;
    }
}
