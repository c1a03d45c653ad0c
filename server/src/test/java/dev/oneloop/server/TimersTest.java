package dev.oneloop.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class TimersTest {

    private final Timers timers = new Timers(2);
    private final List<String> ran = new ArrayList<>();

    @Test
    void runsAOneShotTimerAtItsDeadlineAndNotBefore() {
        timers.schedule(100, now -> ran.add("a@" + now));

        assertThat(timers.runDue(99)).isZero();
        assertThat(ran).isEmpty();
        assertThat(timers.runDue(100)).isEqualTo(1);
        assertThat(ran).containsExactly("a@100");
        assertThat(timers.isEmpty()).isTrue();
        assertThat(timers.runDue(1_000)).isZero();
    }

    @Test
    void runsDueTimersEarliestFirstAndEqualDeadlinesInSchedulingOrder() {
        timers.schedule(30, now -> ran.add("c"));
        timers.schedule(10, now -> ran.add("a"));
        timers.schedule(20, now -> ran.add("b1"));
        timers.schedule(20, now -> ran.add("b2"));
        timers.schedule(20, now -> ran.add("b3"));
        timers.schedule(40, now -> ran.add("later"));

        assertThat(timers.runDue(35)).isEqualTo(5);
        assertThat(ran).containsExactly("a", "b1", "b2", "b3", "c");
        assertThat(timers.size()).isEqualTo(1);
    }

    @Test
    void tellsHowLongALoopMayWait() {
        assertThat(timers.nanosUntilNext(0)).isEqualTo(-1);
        assertThatThrownBy(timers::nextDeadline).isInstanceOf(NoSuchElementException.class);
        timers.schedule(250, now -> { });
        timers.schedule(500, now -> { });

        assertThat(timers.nextDeadline()).isEqualTo(250);
        assertThat(timers.nanosUntilNext(0)).isEqualTo(250);
        assertThat(timers.nanosUntilNext(249)).isEqualTo(1);
        assertThat(timers.nanosUntilNext(250)).isZero();
        assertThat(timers.nanosUntilNext(900)).isZero();
    }

    @Test
    void keepsAFixedRateScheduleWhenRunsAreLate() {
        List<Long> runs = new ArrayList<>();
        timers.scheduleAtFixedRate(100, 100, runs::add);

        timers.runDue(105);
        assertThat(timers.nextDeadline()).isEqualTo(200);
        timers.runDue(230);
        assertThat(timers.nextDeadline()).isEqualTo(300);
        timers.runDue(300);
        assertThat(timers.nextDeadline()).isEqualTo(400);
        assertThat(runs).containsExactly(105L, 230L, 300L);
    }

    @Test
    void skipsMissedRunsOfAFixedRateTimerInsteadOfBursting() {
        List<Long> runs = new ArrayList<>();
        timers.scheduleAtFixedRate(100, 100, runs::add);

        assertThat(timers.runDue(450)).isEqualTo(1);
        assertThat(runs).containsExactly(450L);
        assertThat(timers.nextDeadline()).isEqualTo(500);

        assertThat(timers.runDue(700)).isEqualTo(1);
        assertThat(timers.nextDeadline()).as("a deadline reached exactly is skipped too, not run twice").isEqualTo(800);
    }

    @Test
    void cancelsTimersAndIgnoresStaleIdsEvenAfterTheirSlotIsReused() {
        long once = timers.schedule(10, now -> ran.add("once"));
        long periodic = timers.scheduleAtFixedRate(10, 10, now -> ran.add("periodic"));

        assertThat(timers.cancel(periodic)).isTrue();
        assertThat(timers.cancel(periodic)).isFalse();
        timers.runDue(10);
        assertThat(ran).containsExactly("once");
        assertThat(timers.isScheduled(once)).isFalse();

        long reused = timers.schedule(20, now -> ran.add("reused"));
        assertThat(timers.cancel(once)).as("the one-shot already ran; its slot now belongs to another timer").isFalse();
        assertThat(timers.cancel(Timers.NONE)).isFalse();
        assertThat(timers.isScheduled(reused)).isTrue();
        timers.runDue(20);
        assertThat(ran).containsExactly("once", "reused");
    }

    @Test
    void letsAPeriodicTaskCancelItself() {
        long[] id = new long[1];
        int[] count = new int[1];
        id[0] = timers.scheduleAtFixedRate(10, 10, now -> {
            if (++count[0] == 3) {
                timers.cancel(id[0]);
            }
        });

        for (long now = 10; now <= 100; now += 10) {
            timers.runDue(now);
        }
        assertThat(count[0]).isEqualTo(3);
        assertThat(timers.isEmpty()).isTrue();
    }

    @Test
    void runsATimerScheduledByATaskForADeadlineAlreadyReachedInTheSameCall() {
        timers.schedule(10, now -> timers.schedule(now, later -> ran.add("chained@" + later)));

        assertThat(timers.runDue(10)).isEqualTo(2);
        assertThat(ran).containsExactly("chained@10");
    }

    @Test
    void comparesDeadlinesAcrossTheWrapAroundOfTheClock() {
        long nearEnd = Long.MAX_VALUE - 5;
        timers.schedule(nearEnd + 10, now -> ran.add("after-wrap"));
        timers.schedule(nearEnd, now -> ran.add("before-wrap"));

        assertThat(timers.nanosUntilNext(nearEnd - 5)).isEqualTo(5);
        assertThat(timers.runDue(nearEnd + 10)).isEqualTo(2);
        assertThat(ran).containsExactly("before-wrap", "after-wrap");
    }

    private record Scheduled(long deadline, long sequence, long id) {
    }

    @Test
    void agreesWithASortedReferenceUnderRandomScheduleCancelAndRun() {
        Random random = new Random(42);
        List<Scheduled> reference = new ArrayList<>();
        List<Long> fired = new ArrayList<>();
        long now = 0;
        long sequence = 0;
        for (int step = 0; step < 20_000; step++) {
            int action = random.nextInt(10);
            if (action < 5) {
                long deadline = now + random.nextInt(1_000);
                long seq = sequence++;
                long id = timers.schedule(deadline, t -> fired.add(seq));
                reference.add(new Scheduled(deadline, seq, id));
            } else if (action < 7 && !reference.isEmpty()) {
                Scheduled victim = reference.remove(random.nextInt(reference.size()));
                assertThat(timers.cancel(victim.id())).isTrue();
                assertThat(timers.cancel(victim.id())).isFalse();
            } else {
                now += random.nextInt(300);
                long reached = now;
                List<Long> due = reference.stream().filter(e -> e.deadline() <= reached)
                        .sorted(Comparator.comparingLong(Scheduled::deadline).thenComparingLong(Scheduled::sequence))
                        .map(Scheduled::sequence).toList();
                reference.removeIf(e -> e.deadline() <= reached);
                fired.clear();
                timers.runDue(now);
                assertThat(fired).isEqualTo(due);
            }
            assertThat(timers.size()).isEqualTo(reference.size());
        }
    }

    @Test
    void allocatesNothingWhenAPeriodicTimerRuns() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long[] count = new long[1];
        Timers.Task task = now -> count[0]++;
        for (int i = 0; i < 100; i++) {
            timers.scheduleAtFixedRate(i, 100, task);
        }
        long now = 0;
        for (int i = 0; i < 20_000; i++) {
            timers.runDue(now += 10); // warm up: compile runDue
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100_000; i++) {
            timers.runDue(now += 10);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertThat(count[0]).isGreaterThan(1_000_000);
        assertThat(allocated).as("bytes allocated by 100,000 turns running 10,000 periodic tasks").isLessThan(16_384);
    }
}
