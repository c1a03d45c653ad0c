package dev.oneloop.sim;

import java.nio.ByteBuffer;

/**
 * One direction of a simulated TCP connection: the bytes a sender handed to its kernel that the
 * receiver has not read yet, each run of bytes visible to the receiver from its arrival time on.
 * Arrival times never decrease, so bytes arrive in order and a long delay stalls everything behind
 * it, as on a real connection. {@link #capacity} bounds unread bytes (send buffer plus receive
 * window): a sender that finds no {@link #space} waits, which is TCP flow control.
 */
final class Pipe {

    private byte[] ring = new byte[1024];
    /** Offsets since the connection opened: bytes read, bytes written. */
    private long head;
    private long tail;
    /** Arrival marks: bytes before {@code markEnd[i]} are visible from {@code markTime[i]} on. */
    private long[] markEnd = new long[16];
    private long[] markTime = new long[16];
    private int markHead;
    private int markCount;
    private long arrivedEnd;
    private long lastArrival = Long.MIN_VALUE;
    private boolean lastArrivalSet;

    private final int capacity;
    /** The sender shut down its side (FIN) after {@link #tail}, visible from {@link #finTime}. */
    private boolean fin;
    private long finTime;

    Pipe(int capacity) {
        this.capacity = capacity;
    }

    int capacity() {
        return capacity;
    }

    /** Bytes the sender may still write before the receiver reads some. */
    int space() {
        return (int) Math.max(0, capacity - (tail - head));
    }

    long written() {
        return tail;
    }

    long read() {
        return head;
    }

    /** Bytes written and not read yet, arrived or not. */
    long unread() {
        return tail - head;
    }

    boolean finSent() {
        return fin;
    }

    /**
     * Appends {@code length} bytes of {@code src} from its position, visible at {@code arrival} or
     * at the previous bytes' arrival if that is later. Returns the arrival time used.
     */
    long write(ByteBuffer src, int length, long arrival) {
        ensureRoom(length);
        int at = (int) (tail & (ring.length - 1));
        int first = Math.min(length, ring.length - at);
        src.get(ring, at, first);
        src.get(ring, 0, length - first);
        return mark(length, arrival);
    }

    long write(byte[] src, int offset, int length, long arrival) {
        ensureRoom(length);
        int at = (int) (tail & (ring.length - 1));
        int first = Math.min(length, ring.length - at);
        System.arraycopy(src, offset, ring, at, first);
        System.arraycopy(src, offset + first, ring, 0, length - first);
        return mark(length, arrival);
    }

    /** The sender's FIN, arriving after every byte written before it. */
    long shutdown(long arrival) {
        if (!fin) {
            fin = true;
            finTime = lastArrivalSet && lastArrival - arrival > 0 ? lastArrival : arrival;
        }
        return finTime;
    }

    /** Bytes the receiver can read at {@code now}. */
    int available(long now) {
        advance(now);
        return (int) (arrivedEnd - head);
    }

    /** End of stream is visible: FIN arrived and every byte before it was read. */
    boolean atEnd(long now) {
        advance(now);
        return fin && head == tail && finTime - now <= 0;
    }

    /** Moves up to {@code max} arrived bytes into {@code dst} at its position; returns the count. */
    int read(ByteBuffer dst, int max, long now) {
        int n = Math.min(max, Math.min(available(now), dst.remaining()));
        int at = (int) (head & (ring.length - 1));
        int first = Math.min(n, ring.length - at);
        dst.put(ring, at, first);
        dst.put(ring, 0, n - first);
        head += n;
        return n;
    }

    int read(byte[] dst, int offset, int max, long now) {
        int n = Math.min(max, available(now));
        int at = (int) (head & (ring.length - 1));
        int first = Math.min(n, ring.length - at);
        System.arraycopy(ring, at, dst, offset, first);
        System.arraycopy(ring, 0, dst, offset + first, n - first);
        head += n;
        return n;
    }

    /** Drops everything unread (a reset). */
    void discard() {
        head = tail;
        arrivedEnd = tail;
        markCount = 0;
    }

    private void advance(long now) {
        while (markCount > 0 && markTime[markHead] - now <= 0) {
            arrivedEnd = markEnd[markHead];
            markHead = (markHead + 1) & (markEnd.length - 1);
            markCount--;
        }
    }

    private long mark(int length, long arrival) {
        if (lastArrivalSet && lastArrival - arrival > 0) {
            arrival = lastArrival; // in order: never before the bytes ahead of it
        }
        tail += length;
        if (markCount > 0 && markTime[(markHead + markCount - 1) & (markEnd.length - 1)] == arrival) {
            markEnd[(markHead + markCount - 1) & (markEnd.length - 1)] = tail;
        } else {
            if (markCount == markEnd.length) {
                growMarks();
            }
            int at = (markHead + markCount) & (markEnd.length - 1);
            markEnd[at] = tail;
            markTime[at] = arrival;
            markCount++;
        }
        lastArrival = arrival;
        lastArrivalSet = true;
        return arrival;
    }

    private void growMarks() {
        int n = markEnd.length;
        long[] ends = new long[n * 2];
        long[] times = new long[n * 2];
        for (int i = 0; i < markCount; i++) {
            ends[i] = markEnd[(markHead + i) & (n - 1)];
            times[i] = markTime[(markHead + i) & (n - 1)];
        }
        markEnd = ends;
        markTime = times;
        markHead = 0;
    }

    private void ensureRoom(int length) {
        long needed = tail - head + length;
        if (needed <= ring.length) {
            return;
        }
        int size = ring.length;
        while (size < needed) {
            size *= 2;
        }
        byte[] bigger = new byte[size];
        // Unread bytes keep their offsets: byte i sits at i mod the ring's length, in the old ring as in the new.
        int n = (int) (tail - head);
        int from = (int) (head & (ring.length - 1));
        int to = (int) (head & (size - 1));
        int done = 0;
        while (done < n) {
            int run = Math.min(n - done, Math.min(ring.length - from, size - to));
            System.arraycopy(ring, from, bigger, to, run);
            done += run;
            from = (from + run) & (ring.length - 1);
            to = (to + run) & (size - 1);
        }
        ring = bigger;
    }
}
