package dev.oneloop.bench.load;

import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/** The state of one client connection; touched only by the client thread that owns it. */
final class ClientConnection {

    final int id;
    final SocketChannel channel;
    SelectionKey key;

    /** Messages started (their send time recorded); the next one gets this sequence number. */
    long startedSeq;
    /** The message being written; bytes of {@code [writeSeq, startedSeq)} are not all written yet. */
    long writeSeq;
    int writeOffset;
    /** The message whose echo is being verified, and how much of it arrived. */
    long recvSeq;
    int recvOffset;
    /** Send (or, at a fixed rate, scheduled) time of each outstanding message, by {@code seq & mask}. */
    final long[] startNanos;

    boolean inStatusLine;
    final byte[] statusLine = new byte[80];
    int statusLength;
    boolean failed;

    ClientConnection(int id, SocketChannel channel, int maxInFlight) {
        this.id = id;
        this.channel = channel;
        this.startNanos = new long[maxInFlight];
    }

    long outstanding() {
        return startedSeq - recvSeq;
    }
}
