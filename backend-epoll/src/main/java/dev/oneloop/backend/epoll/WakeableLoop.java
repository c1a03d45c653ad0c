package dev.oneloop.backend.epoll;

import io.netty.channel.ManualIoEventLoop;
import io.netty.channel.epoll.EpollIoHandler;

/**
 * A ManualIoEventLoop whose {@code run} does not block while a {@link #wakeup()} is pending.
 * Netty's own {@code wakeup()} only writes the eventfd while the loop sleeps in epoll_wait, so a
 * wakeup that comes before (or between) polls would be lost. The flag is written before
 * {@code wakeup()}'s atomic exchange, and Netty reads it in {@link #canBlock()} after publishing
 * that it is about to sleep: either the loop sees the flag, or the waker sees the sleeper and
 * writes the eventfd.
 */
final class WakeableLoop extends ManualIoEventLoop {
    private volatile boolean wakeupRequested;

    WakeableLoop(Thread owner) {
        super(owner, EpollIoHandler.newFactory());
    }

    void requestWakeup() {
        wakeupRequested = true;
        wakeup(); // Netty skips the eventfd on the owner thread; the flag covers that case
    }

    /** Consumes a pending wakeup; returns whether there was one. */
    boolean clearWakeup() {
        if (wakeupRequested) {
            wakeupRequested = false;
            return true;
        }
        return false;
    }

    @Override
    protected boolean canBlock() {
        return !wakeupRequested;
    }
}
