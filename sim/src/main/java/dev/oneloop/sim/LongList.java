package dev.oneloop.sim;

import java.util.Arrays;

/** A growable list of {@code long}s. */
final class LongList {

    private long[] values = new long[8];
    private int size;

    void add(long value) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = value;
    }

    long get(int index) {
        if (index >= size) {
            throw new IndexOutOfBoundsException(index);
        }
        return values[index];
    }

    void setLast(long value) {
        values[size - 1] = value;
    }

    void removeLast() {
        size--;
    }

    int size() {
        return size;
    }

    @Override
    public String toString() {
        return Arrays.toString(Arrays.copyOf(values, Math.min(size, 20))) + (size > 20 ? "... (" + size + ")" : "");
    }
}
