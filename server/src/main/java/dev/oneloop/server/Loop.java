package dev.oneloop.server;

import dev.oneloop.backend.Backend;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The duty cycle of a single-threaded server: wait for I/O until the next timer is due, deliver what
 * is ready, run the due timers, repeat. The wait is exactly the time left to the earliest timer
 * ({@link Backend#WAIT_FOREVER} when there is none), so an idle loop sleeps in the kernel and a timer
 * fires as soon as the backend's resolution allows: never a fixed sleep, never a spin.
 *
 * <p>Everything runs on the thread that drives {@link #turn} or {@link #run}, the thread that opened
 * the backend; only {@link #requestStop()} may be called from elsewhere.
 *
 * <p>While a Flight Recorder recording has the {@code oneloop.LoopTurn} event enabled, a turn whose
 * busy time reaches {@link #recordTurnsAbove the threshold} is recorded (time waiting in {@code poll},
 * time busy, callbacks, timers run). Without a recording a turn only checks that the event is off.
 */
public final class Loop {

    private final Backend backend;
    private final LongSupplier nanoClock;
    private final Timers timers = new Timers(16);
    private final TimedHandler timedHandler = new TimedHandler();
    private long turnEventThresholdNanos = Long.MAX_VALUE;
    private volatile boolean stopRequested;

    /**
     * @param nanoClock a monotonic nanosecond clock, {@code System::nanoTime} in production
     */
    public Loop(Backend backend, LongSupplier nanoClock) {
        this.backend = backend;
        this.nanoClock = nanoClock;
    }

    public Backend backend() {
        return backend;
    }

    public Timers timers() {
        return timers;
    }

    /** The loop's clock, in nanoseconds. */
    public long now() {
        return nanoClock.getAsLong();
    }

    /**
     * Records a {@code oneloop.LoopTurn} Flight Recorder event for each turn busy for at least
     * {@code threshold} while a recording enables that event; {@code null} never records one.
     */
    public void recordTurnsAbove(Duration threshold) {
        turnEventThresholdNanos = threshold == null ? Long.MAX_VALUE : Math.max(0, threshold.toNanos());
    }

    /** One turn: waits for I/O until the next timer's deadline, delivers it to {@code handler}, runs the due timers. */
    public void turn(Backend.Handler handler) throws IOException {
        if (turnEventThresholdNanos != Long.MAX_VALUE && ServerEvents.loopTurnEnabled()) {
            recordedTurn(handler);
            return;
        }
        long wait = timers.nanosUntilNext(nanoClock.getAsLong());
        backend.poll(wait < 0 ? Backend.WAIT_FOREVER : wait, handler);
        if (!timers.isEmpty()) {
            timers.runDue(nanoClock.getAsLong());
        }
    }

    /** {@link #turn} timed for the {@code oneloop.LoopTurn} event; an event is created only when it is recorded. */
    private void recordedTurn(Backend.Handler handler) throws IOException {
        long wait = timers.nanosUntilNext(nanoClock.getAsLong());
        timedHandler.start(handler);
        long start = System.nanoTime();
        int callbacks;
        try {
            callbacks = backend.poll(wait < 0 ? Backend.WAIT_FOREVER : wait, timedHandler);
        } finally {
            timedHandler.delegate = null;
        }
        long polled = System.nanoTime();
        int timersRun = timers.isEmpty() ? 0 : timers.runDue(nanoClock.getAsLong());
        long end = System.nanoTime();
        long busyFrom = timedHandler.called ? timedHandler.firstCallback : polled;
        if (end - busyFrom >= turnEventThresholdNanos) {
            ServerEvents.LoopTurn event = new ServerEvents.LoopTurn();
            event.backend = backend.name();
            event.waiting = busyFrom - start;
            event.busy = end - busyFrom;
            event.callbacks = callbacks;
            event.timersRun = timersRun;
            event.commit();
        }
    }

    /** Turns until {@link #requestStop()} is called; returns at once if it already was. */
    public void run(Backend.Handler handler) throws IOException {
        while (!stopRequested) {
            turn(handler);
        }
    }

    /** Makes {@link #run} return after the current turn. Any thread. */
    public void requestStop() {
        stopRequested = true;
        backend.wakeup();
    }

    public boolean stopRequested() {
        return stopRequested;
    }

    /** Passes callbacks on, noting when the first one of a turn came. */
    private static final class TimedHandler implements Backend.Handler {
        Backend.Handler delegate;
        boolean called;
        long firstCallback;

        void start(Backend.Handler handler) {
            delegate = handler;
            called = false;
        }

        private void called() {
            if (!called) {
                called = true;
                firstCallback = System.nanoTime();
            }
        }

        @Override
        public void onAccept(int listener, int connection) {
            called();
            delegate.onAccept(listener, connection);
        }

        @Override
        public void onAcceptError(int listener, IOException error) {
            called();
            delegate.onAcceptError(listener, error);
        }

        @Override
        public void onRead(int connection, ByteBuffer data) {
            called();
            delegate.onRead(connection, data);
        }

        @Override
        public void onEof(int connection) {
            called();
            delegate.onEof(connection);
        }

        @Override
        public void onWritten(int connection) {
            called();
            delegate.onWritten(connection);
        }

        @Override
        public void onError(int connection, IOException error) {
            called();
            delegate.onError(connection, error);
        }
    }
}
