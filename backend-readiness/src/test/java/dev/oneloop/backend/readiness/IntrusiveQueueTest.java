package dev.oneloop.backend.readiness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.oneloop.backend.readiness.IntrusiveQueue.Link;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IntrusiveQueueTest {

    private final IntrusiveQueue<String> queue = new IntrusiveQueue<>("test");
    private final Link<String> a = new Link<>("a");
    private final Link<String> b = new Link<>("b");
    private final Link<String> c = new Link<>("c");

    @Test
    void isFifoAndHoldsAnElementOnce() {
        assertThat(queue.offer(a)).isTrue();
        assertThat(queue.offer(b)).isTrue();
        assertThat(queue.offer(a)).as("already queued").isFalse();
        assertThat(queue.size()).isEqualTo(2);
        assertThat(queue.poll()).isEqualTo("a");
        assertThat(a.queued()).isFalse();
        assertThat(queue.offer(a)).as("queued again once out").isTrue();
        assertThat(queue.poll()).isEqualTo("b");
        assertThat(queue.poll()).isEqualTo("a");
        assertThat(queue.poll()).isNull();
        assertThat(queue.isEmpty()).isTrue();
    }

    @Test
    void drainHandsOutOnlyWhatWasQueuedWhenItBegan() {
        queue.offer(a);
        queue.offer(b);
        List<String> seen = new ArrayList<>();
        queue.drainQueued(s -> {
            seen.add(s);
            queue.offer(c); // queued meanwhile: waits for the next drain
            if (s.equals("a")) {
                queue.offer(a); // a again, behind c
            }
        });
        assertThat(seen).containsExactly("a", "b");
        seen.clear();
        queue.drainQueued(seen::add);
        assertThat(seen).containsExactly("c", "a");
    }

    @Test
    void drainStopsWhenTheQueueIsCleared() {
        queue.offer(a);
        queue.offer(b);
        List<String> seen = new ArrayList<>();
        queue.drainQueued(s -> {
            seen.add(s);
            queue.clear();
        });
        assertThat(seen).containsExactly("a");
        assertThat(b.queued()).as("cleared links can be queued again").isFalse();
    }

    @Test
    void aLinkInAnotherQueueIsRefused() {
        IntrusiveQueue<String> other = new IntrusiveQueue<>("other");
        other.offer(a);
        assertThatThrownBy(() -> queue.offer(a)).isInstanceOf(AssertionError.class).hasMessageContaining("other");
    }
}
