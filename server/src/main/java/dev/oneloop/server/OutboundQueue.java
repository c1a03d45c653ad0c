package dev.oneloop.server;

import java.nio.ByteBuffer;

/**
 * One connection's bytes waiting to be sent: a chain of segments, appended at the tail and written
 * from the head, one write in flight. A segment is either a pooled {@link ChunkPool.Chunk} holding
 * copied bytes (echoed data) or a {@link SharedLine}, a reference to a status line in the shared,
 * never-modified {@link StatusLines} table, so a broadcast costs each connection a few fields instead
 * of a chunk.
 *
 * <p>The head segment is sealed while the backend owns it, so appends go behind it and never touch
 * memory the kernel may be reading. A status line goes behind whatever is queued, never inside it:
 * it is copied into the tail chunk when that chunk is not in flight and has room for all of it
 * (the line then leaves in the same write as the echo before it); otherwise it is queued as a
 * reference, and a connection with {@link #SHARED_LINES} references pending already (a client that
 * stopped reading) gets the line copied into a chunk instead. Shared lines are written through the
 * queue's own view of the table (one preallocated {@link ByteBuffer} per connection): nothing is
 * allocated to queue or write them. Not thread-safe: loop thread only.
 */
final class OutboundQueue {

    /** An element of the chain. */
    abstract static class Segment {
        Segment next;
    }

    /** A status line of the shared table: where it starts and how long it is. */
    static final class SharedLine extends Segment {
        int offset;
        int length;
        boolean queued;
    }

    /** References per connection; beyond them lines are copied into a chunk. */
    static final int SHARED_LINES = 2;

    private final ChunkPool pool;
    private final StatusLines lines;
    private final SharedLine[] shared = new SharedLine[SHARED_LINES];
    /** This connection's window on {@link #lines}; its position and limit belong to the backend while a shared line is in flight. */
    private ByteBuffer view;
    private Segment head;
    private Segment tail;
    private long size;
    private boolean headInFlight;

    OutboundQueue(ChunkPool pool, StatusLines lines) {
        this.pool = pool;
        this.lines = lines;
        this.view = lines.newView();
        for (int i = 0; i < SHARED_LINES; i++) {
            shared[i] = new SharedLine();
        }
    }

    /** Bytes queued, including those of the segment in flight. */
    long size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    boolean writeInFlight() {
        return headInFlight;
    }

    /** Copies {@code src}'s remaining bytes to the tail; {@code src}'s position moves to its limit. */
    void append(ByteBuffer src) {
        int n = src.remaining();
        append(src, src.position(), n);
        src.position(src.position() + n);
    }

    void append(byte[] src, int offset, int length) {
        while (length > 0) {
            ByteBuffer dst = writableTail(length);
            int n = Math.min(length, dst.remaining());
            dst.put(src, offset, n);
            offset += n;
            length -= n;
            size += n;
        }
    }

    /** Queues the status line for {@code activeConnections} behind everything queued; allocates nothing. */
    void appendStatusLine(int activeConnections) {
        int offset = lines.offset(activeConnections);
        int length = lines.length(activeConnections);
        if (tail instanceof ChunkPool.Chunk chunk && !(tail == head && headInFlight) && chunk.buffer.remaining() >= length) {
            lines.copyTo(offset, length, chunk.buffer);
            size += length;
            return;
        }
        for (SharedLine line : shared) {
            if (!line.queued) {
                line.queued = true;
                line.offset = offset;
                line.length = length;
                link(line);
                size += length;
                return;
            }
        }
        ChunkPool.Chunk fresh = pool.take(length); // a line (at most 43 bytes) always fits a chunk (at least 64)
        link(fresh);
        lines.copyTo(offset, length, fresh.buffer);
        size += length;
    }

    /**
     * Seals the head segment and returns it ready to be written (position at its first byte, limit
     * after its last). The buffer is the backend's until {@link #headWritten()} or {@link #clear()}.
     */
    ByteBuffer sealHead() {
        if (headInFlight) {
            throw new IllegalStateException("a write is already in flight");
        }
        if (size == 0) {
            throw new IllegalStateException("nothing to write");
        }
        headInFlight = true;
        if (head instanceof ChunkPool.Chunk chunk) {
            return chunk.buffer.flip();
        }
        SharedLine line = (SharedLine) head;
        view.limit(line.offset + line.length);
        view.position(line.offset);
        return view;
    }

    /** The sealed head was written completely: drops it (a chunk goes back to the pool). */
    void headWritten() {
        if (!headInFlight) {
            throw new IllegalStateException("no write in flight");
        }
        headInFlight = false;
        Segment written = head;
        size -= written instanceof ChunkPool.Chunk chunk ? chunk.buffer.limit() : ((SharedLine) written).length;
        head = written.next;
        if (head == null) {
            tail = null;
        }
        release(written);
    }

    /**
     * Drops everything queued. A chunk still in flight is not returned to the pool: the connection
     * was closed under it, and a completion-model kernel may still read from it, so it must never
     * carry another connection's bytes. A shared line in flight needs no such care (its bytes never
     * change), but the view it was written through may still be held by the backend, so the queue
     * takes a fresh one: the only allocation here, and only when closing under a status write.
     */
    void clear() {
        Segment segment = head;
        if (headInFlight) {
            if (head instanceof SharedLine line) {
                line.queued = false;
                view = lines.newView();
            }
            Segment inFlight = head;
            segment = inFlight.next;
            inFlight.next = null;
        }
        while (segment != null) {
            Segment next = segment.next;
            release(segment);
            segment = next;
        }
        head = null;
        tail = null;
        size = 0;
        headInFlight = false;
    }

    private void release(Segment segment) {
        if (segment instanceof ChunkPool.Chunk chunk) {
            pool.give(chunk);
        } else {
            SharedLine line = (SharedLine) segment;
            line.queued = false;
            line.next = null;
        }
    }

    private void append(ByteBuffer src, int at, int remaining) {
        while (remaining > 0) {
            ByteBuffer dst = writableTail(remaining);
            int n = Math.min(remaining, dst.remaining());
            dst.put(dst.position(), src, at, n);
            dst.position(dst.position() + n);
            at += n;
            remaining -= n;
            size += n;
        }
    }

    private ByteBuffer writableTail(int bytes) {
        if (!(tail instanceof ChunkPool.Chunk chunk) || (tail == head && headInFlight) || !chunk.buffer.hasRemaining()) {
            ChunkPool.Chunk fresh = pool.take(bytes);
            link(fresh);
            return fresh.buffer;
        }
        return chunk.buffer;
    }

    private void link(Segment segment) {
        if (tail == null) {
            head = segment;
        } else {
            tail.next = segment;
        }
        tail = segment;
    }
}
