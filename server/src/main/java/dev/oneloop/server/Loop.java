package dev.oneloop.server;

import dev.oneloop.backend.Backend;
import java.io.IOException;
import java.util.function.LongSupplier;

/**
 * The duty cycle of a single-threaded server: wait for I/O until the next timer is due, deliver what
 * is ready, run the due timers, repeat. The wait is exactly the time left to the earliest timer
 * ({@link Backend#WAIT_FOREVER} when there is none), so an idle loop sleeps in the kernel and a timer
 * fires as soon as the backend's resolution allows: never a fixed sleep, never a spin.
 *
 * <p>Everything runs on the thread that drives {@link #turn} or {@link #run}, the thread that opened
 * the backend; only {@link #requestStop()} may be called from elsewhere.
 */
public final class Loop {

    private final Backend backend;
    private final LongSupplier nanoClock;
    private final Timers timers = new Timers(16);
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

    /** One turn: waits for I/O until the next timer's deadline, delivers it to {@code handler}, runs the due timers. */
    public void turn(Backend.Handler handler) throws IOException {
        long wait = timers.nanosUntilNext(nanoClock.getAsLong());
        backend.poll(wait < 0 ? Backend.WAIT_FOREVER : wait, handler);
        if (!timers.isEmpty()) {
            timers.runDue(nanoClock.getAsLong());
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
}
