package dev.oneloop.backend;

import java.util.Arrays;

/**
 * Slot + generation bookkeeping shared by the backends: maps handles to per-handle state without
 * allocating after construction. A slot is {@linkplain #retire retired} when its handle is closed
 * (the handle goes stale at once) and {@linkplain #release released} when the backend no longer
 * expects anything from the kernel for it (at once for readiness backends; after the last
 * completion for io_uring). Not thread-safe: loop thread only.
 *
 * @param <T> per-handle state
 */
public final class HandleTable<T> {

    private final Object[] values;
    private final int[] generations;
    /** Handle currently live in each slot, or {@link Handles#NONE}. */
    private final int[] live;
    private final int[] freeSlots;
    private int freeCount;
    private int liveCount;

    public HandleTable(int capacity) {
        if (capacity < 1 || capacity > Handles.MAX_SLOTS) {
            throw new IllegalArgumentException("capacity must be in [1, " + Handles.MAX_SLOTS + "]: " + capacity);
        }
        values = new Object[capacity];
        generations = new int[capacity];
        live = new int[capacity];
        Arrays.fill(live, Handles.NONE);
        freeSlots = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            freeSlots[i] = capacity - 1 - i; // hand out slot 0 first
        }
        freeCount = capacity;
    }

    public int capacity() {
        return values.length;
    }

    /** Number of live (not retired) handles. */
    public int size() {
        return liveCount;
    }

    /** Takes a free slot for {@code value}; returns its handle, or {@link Handles#NONE} when full. */
    public int add(T value) {
        if (freeCount == 0) {
            return Handles.NONE;
        }
        int slot = freeSlots[--freeCount];
        int handle = Handles.of(slot, generations[slot]);
        values[slot] = value;
        live[slot] = handle;
        liveCount++;
        return handle;
    }

    /** The state of a live handle, or {@code null} if the handle is stale or was never issued. */
    @SuppressWarnings("unchecked")
    public T get(int handle) {
        if (handle < 0) {
            return null;
        }
        int slot = Handles.slot(handle);
        return slot < live.length && live[slot] == handle ? (T) values[slot] : null;
    }

    /** The state kept in {@code slot}, live or retired-but-unreleased; {@code null} if free. */
    @SuppressWarnings("unchecked")
    public T atSlot(int slot) {
        return (T) values[slot];
    }

    /** Calls {@code action} with every live handle, in slot order; {@code action} may retire or remove it. */
    public void forEachLive(java.util.function.IntConsumer action) {
        for (int slot = 0; slot < live.length; slot++) {
            int handle = live[slot];
            if (handle != Handles.NONE) {
                action.accept(handle);
            }
        }
    }

    /**
     * Makes {@code handle} stale; its slot stays taken until {@link #release}.
     *
     * @return {@code true} if the handle was live
     */
    public boolean retire(int handle) {
        if (get(handle) == null) {
            return false;
        }
        int slot = Handles.slot(handle);
        live[slot] = Handles.NONE;
        generations[slot] = Handles.nextGeneration(generations[slot]);
        liveCount--;
        return true;
    }

    /** Frees a retired slot for reuse. */
    public void release(int slot) {
        if (live[slot] != Handles.NONE) {
            throw new IllegalStateException("slot " + slot + " is still live");
        }
        if (values[slot] == null) {
            throw new IllegalStateException("slot " + slot + " is already free");
        }
        values[slot] = null;
        freeSlots[freeCount++] = slot;
    }

    /** {@link #retire} then {@link #release}: for state the kernel no longer references. */
    public boolean remove(int handle) {
        if (!retire(handle)) {
            return false;
        }
        release(Handles.slot(handle));
        return true;
    }
}
