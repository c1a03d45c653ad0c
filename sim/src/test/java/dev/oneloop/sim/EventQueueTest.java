package dev.oneloop.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The event queue fires by time (compared by subtraction, across the wrap of the clock), then in
 * order of scheduling: exactly the order of the {@code PriorityQueue} it replaced.
 */
class EventQueueTest {

    @Test
    void drainsInExactlyTheOrderOfAPriorityQueueOfTimeAndSequence() {
        SplittableRandom random = new SplittableRandom(7);
        EventQueue queue = new EventQueue();
        PriorityQueue<long[]> reference = new PriorityQueue<>((x, y) -> {
            long d = x[0] - y[0];
            return d != 0 ? (d < 0 ? -1 : 1) : Long.compare(x[1], y[1]);
        });
        List<Long> got = new ArrayList<>();
        long start = Long.MAX_VALUE - 1_000_000;
        for (int i = 0; i < 20_000; i++) {
            long time = start + random.nextLong(2_000_000);
            long sequence = i;
            queue.add(time, now -> got.add(sequence));
            reference.add(new long[] {time, sequence});
            if (random.nextInt(3) == 0) {
                assertThat(queue.firstTime()).isEqualTo(reference.peek()[0]);
                queue.pollFirst().fire(0);
                assertThat(got.getLast()).isEqualTo(reference.poll()[1]);
            }
        }
        while (!reference.isEmpty()) {
            assertThat(queue.firstTime()).isEqualTo(reference.peek()[0]);
            queue.pollFirst().fire(0);
            assertThat(got.getLast()).isEqualTo(reference.poll()[1]);
        }
        assertThat(queue.isEmpty()).isTrue();
    }
}
