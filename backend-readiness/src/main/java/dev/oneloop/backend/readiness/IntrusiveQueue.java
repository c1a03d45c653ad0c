package dev.oneloop.backend.readiness;

import java.util.function.Consumer;

/**
 * A FIFO queue threaded through {@link Link}s that its elements own, so that queueing allocates
 * nothing (libxev's {@code queue.Intrusive}). An element owns one link per queue it can be in and
 * is in a queue at most once: {@link #offer} of a queued link does nothing. The invariants are
 * asserted on every change (tests run with {@code -ea}).
 */
final class IntrusiveQueue<T> {

    /** An element's membership in one queue. */
    static final class Link<T> {
        final T owner;
        Link<T> next;
        IntrusiveQueue<T> queue;

        Link(T owner) {
            this.owner = owner;
        }

        boolean queued() {
            return queue != null;
        }
    }

    private final String name;
    private Link<T> head;
    private Link<T> tail;
    private int size;

    IntrusiveQueue(String name) {
        this.name = name;
    }

    /** Appends {@code link}'s owner unless it is queued already; returns whether it was appended. */
    boolean offer(Link<T> link) {
        if (link.queue == this) {
            return false;
        }
        assert link.queue == null : "element of " + name + " is in queue " + link.queue.name;
        assert link.next == null : "unqueued link of " + name + " still points at another";
        link.queue = this;
        if (tail == null) {
            head = link;
        } else {
            tail.next = link;
        }
        tail = link;
        size++;
        assert invariants();
        return true;
    }

    /** Removes and returns the first element, or {@code null}. */
    T poll() {
        Link<T> link = head;
        if (link == null) {
            return null;
        }
        head = link.next;
        if (head == null) {
            tail = null;
        }
        link.next = null;
        link.queue = null;
        size--;
        assert invariants();
        return link.owner;
    }

    /**
     * Hands {@code action} the elements queued when this was called, in order; what {@code action}
     * queues meanwhile (a handler writing again from {@code onWritten}) waits for the next call, so
     * that one call always ends. Stops early if the queue is {@linkplain #clear cleared}.
     */
    void drainQueued(Consumer<? super T> action) {
        Link<T> last = tail;
        while (head != null) {
            Link<T> link = head;
            action.accept(poll());
            if (link == last) {
                return;
            }
        }
    }

    boolean isEmpty() {
        return head == null;
    }

    int size() {
        return size;
    }

    void clear() {
        while (poll() != null) {
            // unlink every element, so that each can be queued again
        }
    }

    private boolean invariants() {
        if ((head == null) != (tail == null) || (size == 0) != (head == null)) {
            throw new AssertionError(name + ": head " + head + ", tail " + tail + ", size " + size);
        }
        if (tail != null && (tail.next != null || tail.queue != this)) {
            throw new AssertionError(name + ": the tail is not the last element of this queue");
        }
        return true;
    }

    @Override
    public String toString() {
        return name + "(" + size + ")";
    }
}
