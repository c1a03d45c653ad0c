package dev.oneloop.server;

import java.util.Arrays;
import java.util.NoSuchElementException;

/**
 * One-shot and fixed-rate timers for a single-threaded loop: a binary min-heap of deadlines on a
 * caller-supplied nanosecond clock. The owner asks {@link #nanosUntilNext} how long it may wait and
 * calls {@link #runDue} after waiting; nothing here reads a clock, so tests drive it with a fake one.
 *
 * <p>Deadlines are {@link System#nanoTime()}-style values and are compared by subtraction, so they
 * may wrap around. Timers due at the same deadline run in the order they were scheduled.
 *
 * <p><b>Fixed rate without drift:</b> a periodic timer's next deadline is its previous deadline plus
 * the interval, never "now plus the interval", so lateness of one run does not shift the later ones.
 * If the loop fell behind by a whole interval or more, the missed runs are skipped, not replayed in
 * a burst: the timer runs once, late, and its next deadline is the first one of its schedule still in
 * the future.
 *
 * <p>Timers are named by {@code long} ids (a slot plus a generation, like connection handles), so
 * cancelling a timer that already ran does nothing, even if its slot was reused. State is kept in
 * parallel arrays that grow when full: scheduling allocates only when the arrays grow, and a periodic
 * timer's runs allocate nothing. Not thread-safe: loop thread only.
 */
public final class Timers {

    /** Not a timer id. */
    public static final long NONE = -1;

    /** What a timer runs; {@code now} is the time {@link #runDue} was called with. */
    @FunctionalInterface
    public interface Task {
        void run(long now);
    }

    private long[] deadlines;
    /** Period of a fixed-rate timer; 0 for a one-shot timer. */
    private long[] intervals;
    /** Order of scheduling, to break ties between equal deadlines. */
    private long[] sequences;
    private Task[] tasks;
    private int[] generations;
    /** Position of each slot in {@link #heap}, or -1 when the slot is free. */
    private int[] heapIndex;
    private int[] heap;
    private int size;
    private int[] freeSlots;
    private int freeCount;
    private long nextSequence;

    public Timers(int initialCapacity) {
        if (initialCapacity < 1) {
            throw new IllegalArgumentException("initialCapacity must be positive: " + initialCapacity);
        }
        deadlines = new long[initialCapacity];
        intervals = new long[initialCapacity];
        sequences = new long[initialCapacity];
        tasks = new Task[initialCapacity];
        generations = new int[initialCapacity];
        heapIndex = new int[initialCapacity];
        Arrays.fill(heapIndex, -1);
        heap = new int[initialCapacity];
        freeSlots = new int[initialCapacity];
        for (int i = 0; i < initialCapacity; i++) {
            freeSlots[i] = initialCapacity - 1 - i;
        }
        freeCount = initialCapacity;
    }

    /** Schedules {@code task} to run once at {@code deadline}; returns its id. */
    public long schedule(long deadline, Task task) {
        return add(deadline, 0, task);
    }

    /**
     * Schedules {@code task} to run at {@code firstDeadline} and then every {@code intervalNanos}
     * after it, at fixed rate (see the class comment), until cancelled. Returns its id.
     */
    public long scheduleAtFixedRate(long firstDeadline, long intervalNanos, Task task) {
        if (intervalNanos <= 0) {
            throw new IllegalArgumentException("intervalNanos must be positive: " + intervalNanos);
        }
        return add(firstDeadline, intervalNanos, task);
    }

    /**
     * Cancels a scheduled timer. A task may cancel itself (a periodic one then stops) or others.
     *
     * @return {@code true} if the timer was scheduled; {@code false} for a timer that already ran
     *         (one-shot), was cancelled before, or {@link #NONE}
     */
    public boolean cancel(long id) {
        int slot = liveSlot(id);
        if (slot < 0) {
            return false;
        }
        removeAt(heapIndex[slot]);
        free(slot);
        return true;
    }

    /** Whether {@code id} names a timer that will still run. */
    public boolean isScheduled(long id) {
        return liveSlot(id) >= 0;
    }

    /** Number of scheduled timers. */
    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    /** The earliest deadline. */
    public long nextDeadline() {
        if (size == 0) {
            throw new NoSuchElementException("no timer is scheduled");
        }
        return deadlines[heap[0]];
    }

    /**
     * How long a loop may wait at {@code now} before the earliest timer is due: {@code 0} if one is
     * due already, {@code -1} if no timer is scheduled (wait for I/O alone).
     */
    public long nanosUntilNext(long now) {
        if (size == 0) {
            return -1;
        }
        return Math.max(0, deadlines[heap[0]] - now);
    }

    /**
     * Runs every timer whose deadline is at or before {@code now}, earliest first, and reschedules
     * the periodic ones. A timer that a task schedules for a deadline already reached runs in this
     * same call. An exception from a task propagates; the timers stay consistent (the failed one-shot
     * timer is gone, a failed periodic one stays scheduled).
     *
     * @return the number of tasks run
     */
    public int runDue(long now) {
        int ran = 0;
        while (size > 0 && deadlines[heap[0]] - now <= 0) {
            int slot = heap[0];
            Task task = tasks[slot];
            long interval = intervals[slot];
            if (interval == 0) {
                removeAt(0);
                free(slot);
            } else {
                long next = deadlines[slot] + interval;
                if (next - now <= 0) {
                    next += ((now - next) / interval + 1) * interval;
                }
                deadlines[slot] = next;
                sequences[slot] = nextSequence++;
                siftDown(0);
            }
            ran++;
            task.run(now);
        }
        return ran;
    }

    private long add(long deadline, long interval, Task task) {
        if (task == null) {
            throw new NullPointerException("task");
        }
        if (freeCount == 0) {
            grow();
        }
        int slot = freeSlots[--freeCount];
        deadlines[slot] = deadline;
        intervals[slot] = interval;
        sequences[slot] = nextSequence++;
        tasks[slot] = task;
        heap[size] = slot;
        heapIndex[slot] = size;
        size++;
        siftUp(size - 1);
        return ((long) generations[slot] << 32) | slot;
    }

    private int liveSlot(long id) {
        if (id < 0) {
            return -1;
        }
        int slot = (int) id;
        int generation = (int) (id >>> 32);
        if (slot < 0 || slot >= tasks.length || heapIndex[slot] < 0 || generations[slot] != generation) {
            return -1;
        }
        return slot;
    }

    private void free(int slot) {
        tasks[slot] = null;
        heapIndex[slot] = -1;
        // Kept positive so that an id is never negative (NONE).
        generations[slot] = (generations[slot] + 1) & Integer.MAX_VALUE;
        freeSlots[freeCount++] = slot;
    }

    private void grow() {
        int old = tasks.length;
        int capacity = old * 2;
        deadlines = Arrays.copyOf(deadlines, capacity);
        intervals = Arrays.copyOf(intervals, capacity);
        sequences = Arrays.copyOf(sequences, capacity);
        tasks = Arrays.copyOf(tasks, capacity);
        generations = Arrays.copyOf(generations, capacity);
        heapIndex = Arrays.copyOf(heapIndex, capacity);
        Arrays.fill(heapIndex, old, capacity, -1);
        heap = Arrays.copyOf(heap, capacity);
        freeSlots = Arrays.copyOf(freeSlots, capacity);
        for (int slot = capacity - 1; slot >= old; slot--) {
            freeSlots[freeCount++] = slot;
        }
    }

    private void removeAt(int index) {
        int last = --size;
        if (index != last) {
            int moved = heap[last];
            heap[index] = moved;
            heapIndex[moved] = index;
            siftDown(index);
            siftUp(heapIndex[moved]);
        }
    }

    private boolean earlier(int a, int b) {
        long diff = deadlines[a] - deadlines[b];
        return diff < 0 || (diff == 0 && sequences[a] < sequences[b]);
    }

    private void siftUp(int index) {
        int slot = heap[index];
        while (index > 0) {
            int parentIndex = (index - 1) >>> 1;
            int parent = heap[parentIndex];
            if (!earlier(slot, parent)) {
                break;
            }
            heap[index] = parent;
            heapIndex[parent] = index;
            index = parentIndex;
        }
        heap[index] = slot;
        heapIndex[slot] = index;
    }

    private void siftDown(int index) {
        int slot = heap[index];
        while (true) {
            int child = 2 * index + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && earlier(heap[child + 1], heap[child])) {
                child++;
            }
            if (!earlier(heap[child], slot)) {
                break;
            }
            heap[index] = heap[child];
            heapIndex[heap[index]] = index;
            index = child;
        }
        heap[index] = slot;
        heapIndex[slot] = index;
    }
}
