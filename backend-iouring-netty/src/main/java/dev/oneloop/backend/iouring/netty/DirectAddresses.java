package dev.oneloop.backend.iouring.netty;

import io.netty.channel.unix.Buffer;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Base addresses of direct buffers, remembered by buffer identity. Without {@code sun.misc.Unsafe}
 * (the default on Java 25) Netty finds an address through {@code MemorySegment.ofBuffer}, which
 * allocates on every call; applications write from the same pooled buffers again and again.
 * Holding a buffer here keeps it reachable, so its identity cannot be taken by another buffer.
 */
final class DirectAddresses {

    private static final int SIZE = 256;

    private final ByteBuffer[] buffers = new ByteBuffer[SIZE];
    private final long[] addresses = new long[SIZE];

    long of(ByteBuffer buffer) {
        int i = System.identityHashCode(buffer) & (SIZE - 1);
        if (buffers[i] != buffer) {
            addresses[i] = Buffer.memoryAddress(buffer);
            buffers[i] = buffer;
        }
        return addresses[i];
    }

    void clear() {
        Arrays.fill(buffers, null);
    }
}
