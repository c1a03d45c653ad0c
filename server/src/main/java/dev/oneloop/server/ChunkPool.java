package dev.oneloop.server;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Fixed-size direct buffers ("chunks") for outbound data, recycled through a free list so that a
 * server in steady state allocates none. Chunks are direct because backends write from them without
 * copying (a completion backend hands the memory to the kernel). Up to {@code maxRetained} free
 * chunks are kept; beyond that a returned chunk is left to the garbage collector, so a burst does not
 * pin its peak memory for ever. Not thread-safe: loop thread only.
 */
final class ChunkPool {

    /** A chunk and the link that chains it into one connection's outbound queue. */
    static final class Chunk {
        final ByteBuffer buffer;
        Chunk next;

        Chunk(ByteBuffer buffer) {
            this.buffer = buffer;
        }
    }

    private final int chunkSize;
    private final int maxRetained;
    private Chunk[] free = new Chunk[64];
    private int freeCount;
    private long allocated;

    ChunkPool(int chunkSize, int maxRetained) {
        if (chunkSize < 64) {
            throw new IllegalArgumentException("chunkSize must be at least 64: " + chunkSize);
        }
        this.chunkSize = chunkSize;
        this.maxRetained = maxRetained;
    }

    int chunkSize() {
        return chunkSize;
    }

    /** An empty chunk in fill mode (position 0, limit = capacity). */
    Chunk take() {
        Chunk chunk;
        if (freeCount > 0) {
            chunk = free[--freeCount];
            free[freeCount] = null;
        } else {
            chunk = new Chunk(ByteBuffer.allocateDirect(chunkSize));
            allocated++;
        }
        chunk.buffer.clear();
        chunk.next = null;
        return chunk;
    }

    void give(Chunk chunk) {
        chunk.next = null;
        if (freeCount == maxRetained) {
            return;
        }
        if (freeCount == free.length) {
            free = Arrays.copyOf(free, Math.min(maxRetained, free.length * 2));
        }
        free[freeCount++] = chunk;
    }

    /** Chunks ever allocated; stops growing once the pool has warmed up. */
    long allocated() {
        return allocated;
    }

    int freeChunks() {
        return freeCount;
    }
}
