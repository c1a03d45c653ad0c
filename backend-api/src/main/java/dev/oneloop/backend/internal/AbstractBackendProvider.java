package dev.oneloop.backend.internal;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.BackendProvider;
import java.io.IOException;

/**
 * The part every {@link BackendProvider} shares: its name, an availability probed once, lazily
 * (finding a provider loads no native code), and an {@link #open} that refuses, with the cause,
 * when the backend is unavailable. A provider names itself and implements {@link #probe} and
 * {@link #openAvailable}. Exported only to the backend modules: not API.
 */
public abstract class AbstractBackendProvider implements BackendProvider {

    private final String name;
    private boolean probed;
    private Throwable unavailabilityCause;

    protected AbstractBackendProvider(String name) {
        this.name = name;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final boolean isAvailable() {
        return unavailabilityCause() == null;
    }

    @Override
    public final synchronized Throwable unavailabilityCause() {
        if (!probed) {
            unavailabilityCause = probe();
            probed = true;
        }
        return unavailabilityCause;
    }

    @Override
    public final Backend open(BackendConfig config) throws IOException {
        Throwable cause = unavailabilityCause();
        if (cause != null) {
            throw new IOException(name + " is not available: " + cause, cause);
        }
        return openAvailable(config);
    }

    /** Why the backend cannot work on this machine, or {@code null}; reports, never throws. Called once. */
    protected abstract Throwable probe();

    /** Opens the backend, which is available, confined to the calling thread. */
    protected abstract Backend openAvailable(BackendConfig config) throws IOException;
}
