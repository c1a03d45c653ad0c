package dev.oneloop.backend;

import java.io.IOException;

/**
 * Finds and opens one kind of {@link Backend}; registered for {@link java.util.ServiceLoader}
 * (in {@code module-info} with {@code provides} and in {@code META-INF/services}).
 *
 * <p>Constructing a provider must be cheap and must not fail when the mechanism is missing: that
 * is what {@link #isAvailable()} and {@link #unavailabilityCause()} report, computed once.
 */
public interface BackendProvider {

    /** The lowercase {@code -Dbackend=} name. */
    String name();

    /** Whether {@link #open} can work on this machine (native library loaded, syscalls permitted). */
    boolean isAvailable();

    /** Why {@link #isAvailable()} is false, or {@code null} when it is true. */
    Throwable unavailabilityCause();

    /**
     * Opens a backend confined to the calling thread.
     *
     * @throws IOException if the mechanism cannot be created (e.g. {@code io_uring_setup} refused)
     */
    Backend open(BackendConfig config) throws IOException;
}
