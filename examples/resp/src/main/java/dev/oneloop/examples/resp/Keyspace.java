package dev.oneloop.examples.resp;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The string keyspace: an open-addressing hash table (linear probing, backward-shift deletion, no
 * tombstones) from key bytes to value bytes, with an optional expiry deadline per key on the loop's
 * nanosecond clock. Lookups take the key as a slice of any buffer (the read view, usually) and
 * allocate nothing; inserting a new key copies it once. Loop thread only.
 *
 * <p>Expiry is Redis's: lazy on access ({@link #find} never returns an expired key, it deletes it),
 * plus {@link #sweep}, which the server calls from a timer to sample keys with a deadline and delete
 * the expired ones, so keys nobody asks for again do not stay forever.
 */
final class Keyspace {

    /** {@link #find} result when the key is absent. */
    static final int ABSENT = -1;
    /** A key without an expiry deadline. */
    static final long PERSISTENT = 0;

    private byte[][] keys;
    private byte[][] values;
    private long[] deadlines;
    private int[] hashes;
    private int mask;
    private int size;
    private int withDeadline;
    private int sweepCursor;

    Keyspace(int initialCapacity) {
        allocate(Integer.highestOneBit(Math.max(16, initialCapacity - 1) << 1));
    }

    int size() {
        return size;
    }

    /** Keys that have an expiry deadline. */
    int withDeadline() {
        return withDeadline;
    }

    static int hash(ByteBuffer src, int offset, int length) {
        int h = 0x9747b28c;
        for (int i = 0; i < length; i++) {
            h = (h ^ src.get(offset + i)) * 0x01000193;
        }
        // murmur3's finalizer: linear probing needs the low bits well mixed.
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        return h ^ (h >>> 16);
    }

    /** The slot of the key {@code src[offset, offset + length)}, or {@link #ABSENT}; an expired key is deleted and absent. */
    int find(ByteBuffer src, int offset, int length, long now) {
        int h = hash(src, offset, length);
        for (int i = h & mask; ; i = (i + 1) & mask) {
            byte[] key = keys[i];
            if (key == null) {
                return ABSENT;
            }
            if (hashes[i] == h && key.length == length && sameBytes(src, offset, key)) {
                if (deadlines[i] != PERSISTENT && deadlines[i] - now <= 0) {
                    removeAt(i);
                    return ABSENT;
                }
                return i;
            }
        }
    }

    private static boolean sameBytes(ByteBuffer src, int offset, byte[] key) {
        for (int j = 0; j < key.length; j++) {
            if (src.get(offset + j) != key[j]) {
                return false;
            }
        }
        return true;
    }

    byte[] value(int slot) {
        return values[slot];
    }

    long deadline(int slot) {
        return deadlines[slot];
    }

    /** Replaces the value (and deadline) of an existing key. */
    void replace(int slot, byte[] value, long deadline) {
        values[slot] = value;
        setDeadline(slot, deadline);
    }

    /** Inserts a key known to be absent ({@link #find} returned {@link #ABSENT} just before); returns its slot. */
    int insert(ByteBuffer src, int offset, int length, byte[] value, long deadline) {
        if (size + 1 > (mask + 1) * 3 / 4) {
            grow();
        }
        byte[] key = new byte[length];
        src.get(offset, key);
        int h = hash(src, offset, length);
        int i = h & mask;
        while (keys[i] != null) {
            i = (i + 1) & mask;
        }
        keys[i] = key;
        hashes[i] = h;
        values[i] = value;
        deadlines[i] = PERSISTENT;
        setDeadline(i, deadline);
        size++;
        return i;
    }

    void remove(int slot) {
        removeAt(slot);
    }

    void clear() {
        Arrays.fill(keys, null);
        Arrays.fill(values, null);
        Arrays.fill(deadlines, PERSISTENT);
        size = 0;
        withDeadline = 0;
    }

    /**
     * Redis's active expiry, one cycle: looks at up to {@code samples} keys with a deadline (walking at
     * most {@code 20 * samples} slots from where the last cycle stopped) and deletes the expired ones.
     *
     * @return the number of keys deleted; the caller repeats while a good share of the sample expired
     */
    int sweep(long now, int samples) {
        if (withDeadline == 0) {
            return 0;
        }
        int deleted = 0;
        int sampled = 0;
        int walked = 0;
        int capacity = mask + 1;
        int i = sweepCursor & mask;
        while (sampled < samples && walked < 20 * samples && walked < capacity) {
            if (keys[i] != null && deadlines[i] != PERSISTENT) {
                sampled++;
                if (deadlines[i] - now <= 0) {
                    removeAt(i);
                    deleted++;
                    continue; // a later key may have shifted into this slot
                }
            }
            i = (i + 1) & mask;
            walked++;
        }
        sweepCursor = i;
        return deleted;
    }

    private void setDeadline(int slot, long deadline) {
        boolean had = deadlines[slot] != PERSISTENT;
        boolean has = deadline != PERSISTENT;
        deadlines[slot] = deadline;
        withDeadline += (has ? 1 : 0) - (had ? 1 : 0);
    }

    private void removeAt(int slot) {
        if (deadlines[slot] != PERSISTENT) {
            withDeadline--;
        }
        int hole = slot;
        int i = slot;
        while (true) {
            i = (i + 1) & mask;
            if (keys[i] == null) {
                break;
            }
            int home = hashes[i] & mask;
            // Move the entry back into the hole unless its home lies cyclically in (hole, i].
            boolean homeBetween = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
            if (!homeBetween) {
                keys[hole] = keys[i];
                values[hole] = values[i];
                deadlines[hole] = deadlines[i];
                hashes[hole] = hashes[i];
                hole = i;
            }
        }
        keys[hole] = null;
        values[hole] = null;
        deadlines[hole] = PERSISTENT;
        size--;
    }

    private void allocate(int capacity) {
        keys = new byte[capacity][];
        values = new byte[capacity][];
        deadlines = new long[capacity];
        hashes = new int[capacity];
        mask = capacity - 1;
    }

    private void grow() {
        byte[][] oldKeys = keys;
        byte[][] oldValues = values;
        long[] oldDeadlines = deadlines;
        int[] oldHashes = hashes;
        allocate(oldKeys.length * 2);
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldKeys[j] != null) {
                int i = oldHashes[j] & mask;
                while (keys[i] != null) {
                    i = (i + 1) & mask;
                }
                keys[i] = oldKeys[j];
                values[i] = oldValues[j];
                deadlines[i] = oldDeadlines[j];
                hashes[i] = oldHashes[j];
            }
        }
    }
}
