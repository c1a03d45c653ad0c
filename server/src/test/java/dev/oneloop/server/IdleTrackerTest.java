package dev.oneloop.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IdleTrackerTest {

    private final IdleTracker tracker = new IdleTracker(4);

    @Test
    void findsAConnectionIdleOnlyAfterMoreThanStepsTicks() {
        for (int i = 0; i < 4; i++) {
            tracker.heard(i);
        }
        for (int tick = 1; tick <= IdleTracker.STEPS; tick++) {
            tracker.advance();
            assertThat(tracker.nextIdle(4)).as("after %d ticks", tick).isEqualTo(-1);
        }
        tracker.advance();
        assertThat(tracker.nextIdle(4)).isEqualTo(3);
        assertThat(tracker.nextIdle(3)).isEqualTo(2);
    }

    @Test
    void keepsConnectionsThatWereHeardFromOrPaused() {
        for (int i = 0; i < 4; i++) {
            tracker.heard(i);
        }
        tracker.pause(1);
        for (int tick = 0; tick < 3 * IdleTracker.STEPS; tick++) {
            tracker.advance();
            tracker.heard(2);
        }
        assertThat(tracker.nextIdle(4)).isEqualTo(3);
        assertThat(tracker.nextIdle(3)).as("2 was heard from, 1 is paused").isEqualTo(0);
        assertThat(tracker.nextIdle(0)).isEqualTo(-1);
    }

    @Test
    void followsAConnectionMovedIntoAClosedOnesPlace() {
        tracker.heard(0);
        for (int tick = 0; tick < IdleTracker.STEPS; tick++) {
            tracker.advance();
        }
        tracker.heard(1);
        tracker.advance();
        assertThat(tracker.nextIdle(2)).isEqualTo(0);
        tracker.moved(1, 0); // 0 closed, 1 moved into its place
        assertThat(tracker.nextIdle(1)).isEqualTo(-1);
    }
}
