package dev.oneloop.server;

import java.util.Arrays;

/**
 * How long the status broadcasts took, from the tick to the last line handed to the backend, and
 * what the loop thread allocated during them. The loop thread records; any thread may read (the
 * figures of a tick being recorded at that moment may be missed or mixed, which is fine for
 * statistics). Percentiles cover the last {@value #WINDOW} broadcasts.
 */
public final class BroadcastStats {

    static final int WINDOW = 1024;

    private final long[] nanos = new long[WINDOW];
    private volatile long count;
    private volatile long allocatedBytes;
    private volatile int lastConnections;
    private volatile long lastNanos;
    private volatile long lastCpuNanos;

    BroadcastStats() {
    }

    /**
     * Loop thread: one broadcast to {@code connections} took {@code elapsedNanos}, of which the loop
     * thread ran {@code cpuNanos}, and allocated {@code allocated} bytes (-1 if unknown).
     */
    void record(int connections, long elapsedNanos, long cpuNanos, long allocated) {
        long n = count;
        nanos[(int) (n % WINDOW)] = elapsedNanos;
        lastConnections = connections;
        lastNanos = elapsedNanos;
        lastCpuNanos = cpuNanos;
        if (allocated > 0) {
            allocatedBytes = allocatedBytes + allocated;
        }
        count = n + 1;
    }

    /** Broadcasts so far. */
    public long count() {
        return count;
    }

    /** Connections the last broadcast was sent to. */
    public int lastConnections() {
        return lastConnections;
    }

    /** Duration of the last broadcast, in nanoseconds. */
    public long lastNanos() {
        return lastNanos;
    }

    /**
     * CPU time of the loop thread during the last broadcast, in nanoseconds (-1 if unknown): on a
     * busy machine the duration also counts time the thread waited for a core.
     */
    public long lastCpuNanos() {
        return lastCpuNanos;
    }

    /**
     * Bytes the loop thread allocated inside broadcasts so far ({@code ThreadMXBean}); 0 in steady
     * state. Closing a connection over {@code --max-backlog} (its log line) is the exception.
     */
    public long allocatedBytes() {
        return allocatedBytes;
    }

    /** The {@code p}-th percentile (0..100) of the last {@value #WINDOW} broadcasts' durations, in nanoseconds; 0 before the first. */
    public long percentileNanos(double p) {
        return percentileNanos(p, WINDOW);
    }

    /** The {@code p}-th percentile (0..100) of the last {@code last} (at most {@value #WINDOW}) broadcasts' durations, in nanoseconds. */
    public long percentileNanos(double p, int last) {
        long n = count;
        int size = (int) Math.min(n, Math.min(last, WINDOW));
        if (size == 0) {
            return 0;
        }
        long[] sorted = new long[size];
        for (int i = 0; i < size; i++) {
            sorted[i] = nanos[(int) ((n - 1 - i) % WINDOW)];
        }
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * size) - 1;
        return sorted[Math.max(0, Math.min(size - 1, rank))];
    }

    /** Longest of the last {@value #WINDOW} broadcasts, in nanoseconds. */
    public long maxNanos() {
        return percentileNanos(100);
    }
}
