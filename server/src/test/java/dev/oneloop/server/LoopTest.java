package dev.oneloop.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.testing.HandlerAdapter;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The loop's waits, on a fake clock and a backend that only records them (no sockets involved). */
@Timeout(10)
class LoopTest {

    private long clock = 1_000;
    private final List<Long> waits = new ArrayList<>();

    /** A backend whose poll "waits" by advancing the fake clock by the timeout, plus a delay of its own. */
    private final class ClockBackend implements Backend {
        long pollOverrun;

        @Override
        public int poll(long timeoutNanos, Handler handler) {
            waits.add(timeoutNanos);
            clock += Math.max(timeoutNanos, 0) + pollOverrun;
            return 0;
        }

        @Override
        public String name() {
            return "clock";
        }

        @Override
        public int listen(InetSocketAddress address, int backlog) {
            throw new UnsupportedOperationException();
        }

        @Override
        public InetSocketAddress localAddress(int handle) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void accept(int listener) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void read(int connection) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void write(int connection, ByteBuffer src) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close(int handle) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void wakeup() {
        }

        @Override
        public int openHandles() {
            return 0;
        }

        @Override
        public void close() {
        }
    }

    private final ClockBackend backend = new ClockBackend();
    private final Loop loop = new Loop(backend, () -> clock);

    @Test
    void waitsForeverWhenNoTimerIsScheduled() throws Exception {
        loop.turn(handler());
        assertThat(waits).containsExactly(Backend.WAIT_FOREVER);
    }

    @Test
    void waitsExactlyUntilTheNextTimerAndFiresItOnSchedule() throws Exception {
        List<Long> fired = new ArrayList<>();
        loop.timers().scheduleAtFixedRate(clock + 250, 250, fired::add);
        loop.timers().schedule(clock + 600, fired::add);

        for (int i = 0; i < 4; i++) {
            loop.turn(handler());
        }
        assertThat(waits).containsExactly(250L, 250L, 100L, 150L);
        assertThat(fired).containsExactly(1_250L, 1_500L, 1_600L, 1_750L);
    }

    @Test
    void keepsTheScheduleWhenPollReturnsLate() throws Exception {
        backend.pollOverrun = 30;
        List<Long> fired = new ArrayList<>();
        loop.timers().scheduleAtFixedRate(clock + 100, 100, fired::add);

        for (int i = 0; i < 3; i++) {
            loop.turn(handler());
        }
        assertThat(fired).containsExactly(1_130L, 1_230L, 1_330L);
        assertThat(waits).as("each wait is shortened by the previous lateness").containsExactly(100L, 70L, 70L);
    }

    @Test
    void runReturnsOnceStopIsRequested() throws Exception {
        loop.timers().scheduleAtFixedRate(clock + 10, 10, now -> {
            if (now >= 1_050) {
                loop.requestStop();
            }
        });
        loop.run(handler());
        assertThat(loop.stopRequested()).isTrue();
        assertThat(waits).hasSize(5);
    }

    /** The clock backend delivers no callback. */
    private static Backend.Handler handler() {
        return HandlerAdapter.expectingNone();
    }
}
