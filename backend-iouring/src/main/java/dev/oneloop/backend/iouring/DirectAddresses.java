package dev.oneloop.backend.iouring;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Base addresses of direct buffers, remembered by buffer identity: {@code MemorySegment.ofBuffer}
 * allocates on every call, and applications write from the same pooled buffers again and again.
 * Holding a buffer here keeps it reachable, so its identity cannot be taken by another buffer.
 */
final class DirectAddresses {

    private static final int SIZE = 256;

    private final ByteBuffer[] buffers = new ByteBuffer[SIZE];
    private final long[] addresses = new long[SIZE];

    /** The address of {@code buffer}'s element 0 (not of its position). */
    long of(ByteBuffer buffer) {
        int i = System.identityHashCode(buffer) & (SIZE - 1);
        if (buffers[i] != buffer) {
            // ofBuffer starts the segment at the position; element 0 is position bytes before it.
            addresses[i] = MemorySegment.ofBuffer(buffer).address() - buffer.position();
            buffers[i] = buffer;
        }
        return addresses[i];
    }

    void clear() {
        Arrays.fill(buffers, null);
    }
}
