package dev.oneloop.server;

import java.nio.ByteBuffer;

/**
 * One connection's bytes waiting to be sent: a chain of pooled chunks, appended at the tail and
 * written from the head. At most one chunk, the head, is in flight; it is sealed while the backend
 * owns it, so appends go to a chunk behind it and never touch memory the kernel may be reading.
 * Not thread-safe: loop thread only.
 */
final class OutboundQueue {

    private final ChunkPool pool;
    private ChunkPool.Chunk head;
    private ChunkPool.Chunk tail;
    private long size;
    private boolean headInFlight;

    OutboundQueue(ChunkPool pool) {
        this.pool = pool;
    }

    /** Bytes queued, including those of the chunk in flight. */
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
        int remaining = src.remaining();
        while (remaining > 0) {
            ByteBuffer dst = writableTail();
            int n = Math.min(remaining, dst.remaining());
            dst.put(dst.position(), src, src.position(), n);
            dst.position(dst.position() + n);
            src.position(src.position() + n);
            remaining -= n;
            size += n;
        }
    }

    void append(byte[] src, int offset, int length) {
        while (length > 0) {
            ByteBuffer dst = writableTail();
            int n = Math.min(length, dst.remaining());
            dst.put(src, offset, n);
            offset += n;
            length -= n;
            size += n;
        }
    }

    /**
     * Seals the head chunk and returns it ready to be written (position 0, limit at its last byte).
     * The buffer is the backend's until {@link #headWritten()} or {@link #clear()}.
     */
    ByteBuffer sealHead() {
        if (headInFlight) {
            throw new IllegalStateException("a write is already in flight");
        }
        if (size == 0) {
            throw new IllegalStateException("nothing to write");
        }
        headInFlight = true;
        return head.buffer.flip();
    }

    /** The sealed head was written completely: drops it and returns its chunk to the pool. */
    void headWritten() {
        if (!headInFlight) {
            throw new IllegalStateException("no write in flight");
        }
        headInFlight = false;
        ChunkPool.Chunk written = head;
        size -= written.buffer.limit();
        head = written.next;
        if (head == null) {
            tail = null;
        }
        pool.give(written);
    }

    /**
     * Drops everything queued. A chunk still in flight is not returned to the pool: the connection
     * was closed under it, and a completion-model kernel may still read from it, so it must never
     * carry another connection's bytes.
     */
    void clear() {
        ChunkPool.Chunk chunk = head;
        if (headInFlight) {
            chunk = chunk.next;
        }
        while (chunk != null) {
            ChunkPool.Chunk next = chunk.next;
            pool.give(chunk);
            chunk = next;
        }
        head = null;
        tail = null;
        size = 0;
        headInFlight = false;
    }

    private ByteBuffer writableTail() {
        if (tail == null || (tail == head && headInFlight) || !tail.buffer.hasRemaining()) {
            ChunkPool.Chunk chunk = pool.take();
            if (tail == null) {
                head = chunk;
            } else {
                tail.next = chunk;
            }
            tail = chunk;
        }
        return tail.buffer;
    }
}
