package dev.oneloop.backend.nio;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.BackendProvider;
import dev.oneloop.backend.readiness.ReadinessBackend;
import java.io.IOException;

/** Provides {@code -Dbackend=nio}: the JDK's own Selector, available wherever the JDK runs. */
public final class NioBackendProvider implements BackendProvider {

    public NioBackendProvider() {
    }

    @Override
    public String name() {
        return NioBackend.NAME;
    }

    @Override
    public boolean isAvailable() {
        return true;
    }

    @Override
    public Throwable unavailabilityCause() {
        return null;
    }

    @Override
    public Backend open(BackendConfig config) throws IOException {
        return new ReadinessBackend<>(new NioBackend(), config);
    }
}
