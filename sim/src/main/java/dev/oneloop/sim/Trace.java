package dev.oneloop.sim;

import java.util.ArrayDeque;
import java.util.List;

/**
 * What happened in a run: a 64-bit hash of every event (compared between two runs of a seed: a
 * difference is non-determinism) and, when enabled, the last events as text for a failure report.
 */
public final class Trace {

    /** Lines kept when tracing: a whole 60 s run, bounded in case a run loops. */
    private static final int KEPT_LINES = 2_000_000;

    private final boolean keepText;
    private final ArrayDeque<String> lines = new ArrayDeque<>();
    private long hash = 0x9E3779B97F4A7C15L;
    private long events;

    public Trace(boolean keepText) {
        this.keepText = keepText;
    }

    public boolean keepsText() {
        return keepText;
    }

    /** Records an event: its time, what, the connection (or handle) and a number (bytes, N). */
    public void event(long now, String what, long who, long value) {
        events++;
        hash = fold(fold(fold(fold(hash, now), what.hashCode()), who), value);
        if (keepText) {
            if (lines.size() == KEPT_LINES) {
                lines.removeFirst();
            }
            lines.addLast(String.format("%,20d  %-14s %6d %10d", now, what, who, value));
        }
    }

    /** Folds a checksum of data (e.g. bytes read) into the hash. */
    public void data(long checksum) {
        hash = fold(hash, checksum);
    }

    public void note(long now, String text) {
        events++;
        hash = fold(hash, text.hashCode());
        if (keepText) {
            if (lines.size() == KEPT_LINES) {
                lines.removeFirst();
            }
            lines.addLast(String.format("%,20d  %s", now, text));
        }
    }

    public long hash() {
        return mix(hash);
    }

    public long events() {
        return events;
    }

    /** The last events kept, oldest first. */
    public List<String> tail() {
        return List.copyOf(lines);
    }

    /**
     * Folds one word into the running hash: for a given hash, different words give different
     * results (xor, a multiplication by an odd constant and a rotation are each one-to-one), so
     * two runs' hashes part at their first differing event, and the rotation carries the product's
     * well-mixed high bits down to where the next word lands. A fifth of the cost of a full mix per
     * word, which an event's four words paid before: a run folds some 19,000 events.
     */
    private static long fold(long hash, long word) {
        return Long.rotateLeft((hash ^ word) * 0x9E3779B97F4A7C15L, 29);
    }

    /** SplitMix64's finalizer, once for the hash reported. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
