package dev.oneloop.server;

/**
 * Which connections have sent nothing for {@code --idle-timeout}, at a flat cost: one {@code int}
 * per connection in a dense array parallel to the server's array of open connections, stamped with
 * a coarse tick on every read (a store, no clock read), and one linear scan per tick. No timer per
 * connection, nothing allocated.
 *
 * <p>The server scans, then advances the tick, every {@code timeout / STEPS}. An entry is idle once
 * more than {@link #STEPS} ticks have passed since its stamp: at least {@code STEPS} whole tick
 * periods, so a connection is never closed before the timeout (a read delivered while a scan is
 * overdue still carries the tick that scan will not yet have advanced; the simulator's seed 15
 * caught the opposite order closing early), and at most two periods (a quarter) after it. A
 * connection the server itself stopped reading (above the high watermark) is {@linkplain #pause
 * paused} and never idle. Loop thread only.
 */
public final class IdleTracker {

    /** Ticks per timeout: the lateness of a close is at most {@code 2/STEPS} of the timeout. */
    public static final int STEPS = 8;

    private static final int PAUSED = Integer.MIN_VALUE;

    private final int[] heardAt;
    private int tick;

    /** @param capacity connections tracked at most (the connection limit) */
    public IdleTracker(int capacity) {
        heardAt = new int[capacity];
    }

    /** Starts the next tick; call every {@code timeout / STEPS}. */
    public void advance() {
        tick++;
        if (tick == PAUSED) {
            tick++;
        }
    }

    /** The connection at {@code index} sent something (or was just opened). */
    public void heard(int index) {
        heardAt[index] = tick;
    }

    /** The server stopped reading the connection at {@code index}: it cannot be idle until {@link #heard} again. */
    public void pause(int index) {
        heardAt[index] = PAUSED;
    }

    /** The connection at {@code from} moved to {@code to} (the dense array was compacted). */
    public void moved(int from, int to) {
        heardAt[to] = heardAt[from];
    }

    /**
     * The highest index below {@code below} whose connection is idle, or -1. Scanning downwards lets
     * the caller close it (moving the last entry into its place, already scanned) and go on from it.
     */
    public int nextIdle(int below) {
        int now = tick;
        for (int i = below - 1; i >= 0; i--) {
            int heard = heardAt[i];
            if (heard != PAUSED && now - heard > STEPS) {
                return i;
            }
        }
        return -1;
    }
}
