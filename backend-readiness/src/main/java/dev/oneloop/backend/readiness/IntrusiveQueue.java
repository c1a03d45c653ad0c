package dev.oneloop.backend.readiness;

import java.util.function.Consumer;

/**
 * A FIFO queue threaded through fields of its elements, so that queueing allocates nothing
 * (libxev's {@code queue.Intrusive}): a subclass names, for one queue, the element's "next" and
 * "queued" fields. An element is in a queue at most once: {@link #offer} of a queued element does
 * nothing. The invariants are asserted on every change (tests run with {@code -ea}).
 */
abstract class IntrusiveQueue<T> {

    private final String name;
    private T head;
    private T tail;
    private int size;

    IntrusiveQueue(String name) {
        this.name = name;
    }

    abstract T next(T element);

    abstract void setNext(T element, T next);

    abstract boolean isQueued(T element);

    abstract void setQueued(T element, boolean queued);

    /** Appends {@code element} unless it is queued already; returns whether it was appended. */
    final boolean offer(T element) {
        if (isQueued(element)) {
            return false;
        }
        assert next(element) == null : name + ": an unqueued element still points at another";
        setQueued(element, true);
        if (tail == null) {
            head = element;
        } else {
            setNext(tail, element);
        }
        tail = element;
        size++;
        assert invariants();
        return true;
    }

    /** Removes and returns the first element, or {@code null}. */
    final T poll() {
        T element = head;
        if (element == null) {
            return null;
        }
        head = next(element);
        if (head == null) {
            tail = null;
        }
        setNext(element, null);
        setQueued(element, false);
        size--;
        assert invariants();
        return element;
    }

    /**
     * Hands {@code action} the elements queued when this was called, in order; what {@code action}
     * queues meanwhile (a handler writing again from {@code onWritten}) waits for the next call, so
     * that one call always ends. Stops early if the queue is {@linkplain #clear cleared}.
     */
    final void drainQueued(Consumer<? super T> action) {
        T last = tail;
        while (head != null) {
            T element = poll();
            action.accept(element);
            if (element == last) {
                return;
            }
        }
    }

    final boolean isEmpty() {
        return head == null;
    }

    final int size() {
        return size;
    }

    final void clear() {
        while (poll() != null) {
            // unlink every element, so that each can be queued again
        }
    }

    private boolean invariants() {
        if ((head == null) != (tail == null) || (size == 0) != (head == null)) {
            throw new AssertionError(name + ": head " + head + ", tail " + tail + ", size " + size);
        }
        if (tail != null && (next(tail) != null || !isQueued(tail))) {
            throw new AssertionError(name + ": the tail is not the last element of this queue");
        }
        if (size == 1 && head != tail) {
            throw new AssertionError(name + ": one element, but head and tail differ");
        }
        return true;
    }

    @Override
    public String toString() {
        return name + "(" + size + ")";
    }
}
