package dev.oneloop.backend;

/**
 * Sizes a backend is opened with.
 *
 * @param maxHandles     listeners plus connections open at once; an accept beyond it is closed
 *                       at once and reported as an accept error
 * @param readBufferSize bytes read per receive; a completion backend pins one such buffer per
 *                       connection with a receive in flight
 */
public record BackendConfig(int maxHandles, int readBufferSize) {

    public static final BackendConfig DEFAULT = new BackendConfig(16_384, 16_384);

    public BackendConfig {
        if (maxHandles < 1 || maxHandles > Handles.MAX_SLOTS) {
            throw new IllegalArgumentException("maxHandles must be in [1, " + Handles.MAX_SLOTS + "]: " + maxHandles);
        }
        if (readBufferSize < 64) {
            throw new IllegalArgumentException("readBufferSize must be at least 64: " + readBufferSize);
        }
    }
}
