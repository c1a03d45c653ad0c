package dev.oneloop.backend.internal;

import java.util.Arrays;

/**
 * File descriptors in arrival order, growing as needed: the connections a completion backend's
 * multishot {@code ACCEPT} delivered while the application had acceptance disarmed, handed out
 * first when it re-arms, as a listen backlog would. Loop thread only.
 */
public final class FdQueue {

    private int[] fds = new int[4];
    private int size;

    public void add(int fd) {
        if (size == fds.length) {
            fds = Arrays.copyOf(fds, size * 2);
        }
        fds[size++] = fd;
    }

    public int size() {
        return size;
    }

    /** The {@code i}-th descriptor, oldest first. */
    public int get(int i) {
        return fds[i];
    }

    /** Removes and returns the oldest descriptor; the queue must not be empty. */
    public int take() {
        int fd = fds[0];
        System.arraycopy(fds, 1, fds, 0, --size);
        return fd;
    }

    /** Forgets every descriptor (the caller has taken or closed them). */
    public void clear() {
        size = 0;
    }
}
