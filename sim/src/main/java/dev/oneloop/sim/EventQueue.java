package dev.oneloop.sim;

import java.util.Arrays;

/**
 * The simulated world's scheduled actions: a binary min-heap ordered by time (compared by
 * subtraction, as the clock wraps) and then by order of scheduling, so actions due at the same
 * instant fire in the order they were scheduled. Parallel arrays instead of a
 * {@code PriorityQueue} of objects: one action scheduled costs no allocation and no comparator call.
 */
final class EventQueue {

    private long[] times = new long[256];
    private long[] sequences = new long[256];
    /**
     * {@code Object[]}, not {@code Action[]}: a store into an array of an interface type is type
     * checked, and the JIT's speculation on the few action classes it saw first failed again with
     * every new kind of action, recompiling whatever it was inlined into.
     */
    private Object[] actions = new Object[256];
    private int size;
    private long nextSequence;

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    /** {@code action} is queued (a linear scan: for checks at the end of a run). */
    boolean contains(SimNetwork.Action action) {
        for (int i = 0; i < size; i++) {
            if (actions[i] == action) {
                return true;
            }
        }
        return false;
    }

    /** Time of the earliest action; the queue must not be empty. */
    long firstTime() {
        return times[0];
    }

    void add(long time, SimNetwork.Action action) {
        if (size == times.length) {
            times = Arrays.copyOf(times, size * 2);
            sequences = Arrays.copyOf(sequences, size * 2);
            actions = Arrays.copyOf(actions, size * 2);
        }
        long sequence = nextSequence++;
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            long d = times[parent] - time;
            if (d < 0 || d == 0 && sequences[parent] < sequence) {
                break;
            }
            times[i] = times[parent];
            sequences[i] = sequences[parent];
            actions[i] = actions[parent];
            i = parent;
        }
        times[i] = time;
        sequences[i] = sequence;
        actions[i] = action;
    }

    /** Removes and returns the earliest action; the queue must not be empty. */
    SimNetwork.Action pollFirst() {
        SimNetwork.Action first = (SimNetwork.Action) actions[0];
        int last = --size;
        long time = times[last];
        long sequence = sequences[last];
        Object action = actions[last];
        actions[last] = null;
        if (last > 0) {
            int i = 0;
            int half = last >>> 1;
            while (i < half) {
                int child = 2 * i + 1;
                int right = child + 1;
                if (right < last && before(right, child)) {
                    child = right;
                }
                long d = times[child] - time;
                if (d > 0 || d == 0 && sequences[child] > sequence) {
                    break;
                }
                times[i] = times[child];
                sequences[i] = sequences[child];
                actions[i] = actions[child];
                i = child;
            }
            times[i] = time;
            sequences[i] = sequence;
            actions[i] = action;
        }
        return first;
    }

    private boolean before(int a, int b) {
        long d = times[a] - times[b];
        return d < 0 || d == 0 && sequences[a] < sequences[b];
    }
}
