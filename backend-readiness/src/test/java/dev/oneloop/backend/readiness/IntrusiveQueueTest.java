package dev.oneloop.backend.readiness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IntrusiveQueueTest {

    /** An element with the fields of one queue. */
    private static final class Node {
        final String name;
        Node next;
        boolean queued;

        Node(String name) {
            this.name = name;
        }
    }

    private static IntrusiveQueue<Node> newQueue() {
        return new IntrusiveQueue<>("test") {
            @Override Node next(Node n) { return n.next; }
            @Override void setNext(Node n, Node next) { n.next = next; }
            @Override boolean isQueued(Node n) { return n.queued; }
            @Override void setQueued(Node n, boolean queued) { n.queued = queued; }
        };
    }

    private final IntrusiveQueue<Node> queue = newQueue();
    private final Node a = new Node("a");
    private final Node b = new Node("b");
    private final Node c = new Node("c");

    @Test
    void isFifoAndHoldsAnElementOnce() {
        assertThat(queue.offer(a)).isTrue();
        assertThat(queue.offer(b)).isTrue();
        assertThat(queue.offer(a)).as("already queued").isFalse();
        assertThat(queue.size()).isEqualTo(2);
        assertThat(queue.poll()).isSameAs(a);
        assertThat(a.queued).isFalse();
        assertThat(queue.offer(a)).as("queued again once out").isTrue();
        assertThat(queue.poll()).isSameAs(b);
        assertThat(queue.poll()).isSameAs(a);
        assertThat(queue.poll()).isNull();
        assertThat(queue.isEmpty()).isTrue();
    }

    @Test
    void drainHandsOutOnlyWhatWasQueuedWhenItBegan() {
        queue.offer(a);
        queue.offer(b);
        List<String> seen = new ArrayList<>();
        queue.drainQueued(n -> {
            seen.add(n.name);
            queue.offer(c); // queued meanwhile: waits for the next drain
            if (n == a) {
                queue.offer(a); // a again, behind c
            }
        });
        assertThat(seen).containsExactly("a", "b");
        seen.clear();
        queue.drainQueued(n -> seen.add(n.name));
        assertThat(seen).containsExactly("c", "a");
    }

    @Test
    void drainStopsWhenTheQueueIsCleared() {
        queue.offer(a);
        queue.offer(b);
        List<String> seen = new ArrayList<>();
        queue.drainQueued(n -> {
            seen.add(n.name);
            queue.clear();
        });
        assertThat(seen).containsExactly("a");
        assertThat(b.queued).as("cleared links can be queued again").isFalse();
    }

    @Test
    void aCorruptedLinkIsCaught() {
        a.next = b; // as if a were still linked though not queued
        assertThatThrownBy(() -> queue.offer(a)).isInstanceOf(AssertionError.class).hasMessageContaining("still points");
    }
}
