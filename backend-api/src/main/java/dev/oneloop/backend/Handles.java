package dev.oneloop.backend;

/**
 * Handles are {@code int}s packing a slot (an index into a backend's arrays) with a generation
 * that changes every time the slot is reused, so that a stale handle cannot name a new connection.
 * Valid handles are non-negative ({@code 0} is slot 0, generation 0); {@link #NONE} never is.
 */
public final class Handles {

    /** Not a handle. */
    public static final int NONE = -1;

    /** Slots are the low 20 bits: up to 1,048,576 open handles per backend. */
    public static final int SLOT_BITS = 20;
    public static final int MAX_SLOTS = 1 << SLOT_BITS;
    private static final int SLOT_MASK = MAX_SLOTS - 1;
    /** Generations are the next 11 bits (the sign bit stays clear). */
    private static final int GENERATION_MASK = (1 << (31 - SLOT_BITS)) - 1;

    private Handles() {
    }

    public static int of(int slot, int generation) {
        if (slot < 0 || slot >= MAX_SLOTS) {
            throw new IllegalArgumentException("slot out of range: " + slot);
        }
        return ((generation & GENERATION_MASK) << SLOT_BITS) | slot;
    }

    public static int slot(int handle) {
        return handle & SLOT_MASK;
    }

    public static int generation(int handle) {
        return (handle >>> SLOT_BITS) & GENERATION_MASK;
    }

    /** The generation that follows {@code generation}, wrapping within its bits. */
    public static int nextGeneration(int generation) {
        return (generation + 1) & GENERATION_MASK;
    }

    public static String toString(int handle) {
        return handle < 0 ? "none" : slot(handle) + "/" + generation(handle);
    }
}
