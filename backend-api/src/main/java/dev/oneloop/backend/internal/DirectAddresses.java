package dev.oneloop.backend.internal;

import java.lang.foreign.MemorySegment;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Base addresses of direct buffers, remembered by buffer identity: {@code MemorySegment.ofBuffer}
 * allocates on every call, and applications write from the same pooled buffers again and again.
 * The table is direct-mapped by identity hash and large enough for the buffers a server keeps in
 * rotation (a pool of outbound chunks over many connections: 256 entries missed often enough to
 * allocate 0.16 B per pipelined message at 50 connections). Entries hold their buffer weakly, so a
 * buffer the application dropped is still collected; a miss allocates, a hit does not. Used by
 * the completion backends, whose kernel reads a written buffer by address.
 */
public final class DirectAddresses {

    private static final int SIZE = 4096;

    @SuppressWarnings({"unchecked", "rawtypes"}) // an array of a generic type
    private final WeakReference<ByteBuffer>[] buffers = new WeakReference[SIZE];
    private final long[] addresses = new long[SIZE];

    /** The address of {@code buffer}'s element 0 (not of its position). */
    public long of(ByteBuffer buffer) {
        int i = System.identityHashCode(buffer) & (SIZE - 1);
        WeakReference<ByteBuffer> entry = buffers[i];
        if (entry == null || entry.get() != buffer) {
            // ofBuffer starts the segment at the position; element 0 is position bytes before it.
            addresses[i] = MemorySegment.ofBuffer(buffer).address() - buffer.position();
            buffers[i] = new WeakReference<>(buffer);
        }
        return addresses[i];
    }

    public void clear() {
        Arrays.fill(buffers, null);
    }
}
