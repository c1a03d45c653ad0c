package dev.oneloop.server;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The counters behind {@link EchoServerMXBean}. The loop thread is the only writer: it adds with
 * plain reads and opaque writes (no fence, a plain store on x86), and JMX threads read with opaque
 * reads, which see every value whole and, soon after it was written, the latest one.
 */
final class ServerStats implements EchoServerMXBean {

    enum Counter {
        ACCEPTED, REFUSED, CLOSED_OVER_BACKLOG, CLOSED_BY_PEER, CLOSED_IDLE, BYTES_IN, BYTES_OUT, MESSAGES, BROADCASTS,
        LINES_QUEUED, LINES_DROPPED, PENDING_BYTES, ACCEPT_PAUSES
    }

    private static final VarHandle VALUES = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] values = new long[Counter.values().length];
    private final String backend;
    private volatile String address = "";
    private volatile int activeConnections;

    ServerStats(String backend) {
        this.backend = backend;
    }

    /** Loop thread only. */
    void add(Counter counter, long delta) {
        int i = counter.ordinal();
        VALUES.setOpaque(values, i, values[i] + delta);
    }

    /** Loop thread only. */
    void increment(Counter counter) {
        add(counter, 1);
    }

    long get(Counter counter) {
        return (long) VALUES.getOpaque(values, counter.ordinal());
    }

    void address(String value) {
        address = value;
    }

    void activeConnections(int value) {
        activeConnections = value;
    }

    @Override
    public String getBackend() {
        return backend;
    }

    @Override
    public String getAddress() {
        return address;
    }

    @Override
    public int getActiveConnections() {
        return activeConnections;
    }

    @Override
    public long getConnectionsAccepted() {
        return get(Counter.ACCEPTED);
    }

    @Override
    public long getConnectionsRefused() {
        return get(Counter.REFUSED);
    }

    @Override
    public long getConnectionsClosedOverBacklog() {
        return get(Counter.CLOSED_OVER_BACKLOG);
    }

    @Override
    public long getConnectionsClosedByPeer() {
        return get(Counter.CLOSED_BY_PEER);
    }

    @Override
    public long getConnectionsClosedIdle() {
        return get(Counter.CLOSED_IDLE);
    }

    @Override
    public long getBytesIn() {
        return get(Counter.BYTES_IN);
    }

    @Override
    public long getBytesOut() {
        return get(Counter.BYTES_OUT);
    }

    @Override
    public long getMessagesEchoed() {
        return get(Counter.MESSAGES);
    }

    @Override
    public long getBroadcasts() {
        return get(Counter.BROADCASTS);
    }

    @Override
    public long getStatusLinesQueued() {
        return get(Counter.LINES_QUEUED);
    }

    @Override
    public long getStatusLinesDropped() {
        return get(Counter.LINES_DROPPED);
    }

    @Override
    public long getPendingBytes() {
        return get(Counter.PENDING_BYTES);
    }

    @Override
    public long getAcceptPauses() {
        return get(Counter.ACCEPT_PAUSES);
    }
}
