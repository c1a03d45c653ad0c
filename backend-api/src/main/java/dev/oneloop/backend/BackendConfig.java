package dev.oneloop.backend;

/**
 * Sizes a backend is opened with.
 *
 * @param maxHandles     listeners plus connections open at once; an accept beyond it is closed
 *                       at once and reported as an accept error
 * @param readBufferSize bytes read per receive; a completion backend pins one such buffer per
 *                       connection with a receive in flight
 * @param readBufferCount receive buffers of {@code readBufferSize} bytes that a completion backend
 *                       with a shared buffer pool (io_uring's provided-buffer ring) hands out to
 *                       every connection; other backends ignore it. Default
 *                       {@link #defaultReadBufferCount(int)}
 */
public record BackendConfig(int maxHandles, int readBufferSize, int readBufferCount) {

    public static final BackendConfig DEFAULT = new BackendConfig(16_384, 16_384);

    /** Most buffers a shared pool may have (io_uring's limit for one buffer ring). */
    public static final int MAX_READ_BUFFER_COUNT = 1 << 15;

    /** With the default buffer count, derived from {@code readBufferSize}. */
    public BackendConfig(int maxHandles, int readBufferSize) {
        this(maxHandles, readBufferSize, defaultReadBufferCount(readBufferSize));
    }

    public BackendConfig {
        if (maxHandles < 1 || maxHandles > Handles.MAX_SLOTS) {
            throw new IllegalArgumentException("maxHandles must be in [1, " + Handles.MAX_SLOTS + "]: " + maxHandles);
        }
        if (readBufferSize < 64) {
            throw new IllegalArgumentException("readBufferSize must be at least 64: " + readBufferSize);
        }
        if (readBufferCount < 1 || readBufferCount > MAX_READ_BUFFER_COUNT) {
            throw new IllegalArgumentException(
                    "readBufferCount must be in [1, " + MAX_READ_BUFFER_COUNT + "]: " + readBufferCount);
        }
    }

    /**
     * About 8 MiB of receive buffers (512 of the default 16 KiB), as a power of two between 16 and
     * 4096: enough for every connection of a busy server to have a receive completing at once.
     */
    public static int defaultReadBufferCount(int readBufferSize) {
        long count = (8L << 20) / Math.max(64, readBufferSize);
        return Integer.highestOneBit((int) Math.max(16, Math.min(4096, count)));
    }
}
