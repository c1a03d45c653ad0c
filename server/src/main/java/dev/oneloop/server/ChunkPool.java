package dev.oneloop.server;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Direct buffers ("chunks") for outbound data in two size classes, recycled through free lists so
 * that a server in steady state allocates none. A small piece of data (at most
 * {@link #smallChunkSize()} bytes, e.g. a short echo) takes a small chunk, anything larger a
 * {@link #chunkSize()} chunk, so a 36-byte message never pins 16 KiB while a large echo still streams
 * in large writes. Chunks are direct because backends write from them without copying (a completion
 * backend hands the memory to the kernel). Up to {@code maxRetainedBytes} of free chunks are kept per
 * class; beyond that a returned chunk is left to the garbage collector, so a burst does not pin its
 * peak memory for ever. Not thread-safe: loop thread only.
 */
final class ChunkPool {

    /** Size of the small class, unless {@code chunkSize} is smaller. */
    static final int SMALL_CHUNK_SIZE = 512;

    /** A chunk and the link that chains it into one connection's outbound queue. */
    static final class Chunk extends OutboundQueue.Segment {
        final ByteBuffer buffer;

        Chunk(ByteBuffer buffer) {
            this.buffer = buffer;
        }
    }

    private final int chunkSize;
    private final int smallSize;
    private final FreeList large;
    private final FreeList small;

    ChunkPool(int chunkSize, long maxRetainedBytes) {
        if (chunkSize < 64) {
            throw new IllegalArgumentException("chunkSize must be at least 64: " + chunkSize);
        }
        this.chunkSize = chunkSize;
        this.smallSize = Math.min(chunkSize, SMALL_CHUNK_SIZE);
        this.large = new FreeList(chunkSize, (int) Math.max(1, Math.min(Integer.MAX_VALUE, maxRetainedBytes / chunkSize)));
        this.small = smallSize == chunkSize ? large
                : new FreeList(smallSize, (int) Math.max(1, Math.min(Integer.MAX_VALUE, maxRetainedBytes / smallSize)));
    }

    int chunkSize() {
        return chunkSize;
    }

    int smallChunkSize() {
        return smallSize;
    }

    /** An empty large chunk in fill mode (position 0, limit = capacity). */
    Chunk take() {
        return large.take();
    }

    /** An empty chunk in fill mode, small if {@code bytes} fit in a small one. */
    Chunk take(int bytes) {
        return bytes <= smallSize ? small.take() : large.take();
    }

    void give(Chunk chunk) {
        chunk.next = null;
        (chunk.buffer.capacity() == chunkSize ? large : small).give(chunk);
    }

    /** Chunks ever allocated, of both classes; stops growing once the pool has warmed up. */
    long allocated() {
        return large == small ? large.allocated : large.allocated + small.allocated;
    }

    int freeChunks() {
        return large == small ? large.freeCount : large.freeCount + small.freeCount;
    }

    private static final class FreeList {
        final int size;
        final int maxRetained;
        Chunk[] free = new Chunk[64];
        int freeCount;
        long allocated;

        FreeList(int size, int maxRetained) {
            this.size = size;
            this.maxRetained = maxRetained;
        }

        Chunk take() {
            Chunk chunk;
            if (freeCount > 0) {
                chunk = free[--freeCount];
                free[freeCount] = null;
            } else {
                chunk = new Chunk(ByteBuffer.allocateDirect(size));
                allocated++;
            }
            chunk.buffer.clear();
            chunk.next = null;
            return chunk;
        }

        void give(Chunk chunk) {
            if (freeCount == maxRetained) {
                return;
            }
            if (freeCount == free.length) {
                free = Arrays.copyOf(free, Math.min(maxRetained, free.length * 2));
            }
            free[freeCount++] = chunk;
        }
    }
}
