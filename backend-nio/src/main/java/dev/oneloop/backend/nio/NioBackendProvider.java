package dev.oneloop.backend.nio;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.internal.AbstractBackendProvider;
import dev.oneloop.backend.readiness.ReadinessBackend;
import java.io.IOException;

/** Provides {@code -Dbackend=nio}: the JDK's own Selector, available wherever the JDK runs. */
public final class NioBackendProvider extends AbstractBackendProvider {

    public NioBackendProvider() {
        super(NioBackend.NAME);
    }

    @Override
    protected Throwable probe() {
        return null;
    }

    @Override
    protected Backend openAvailable(BackendConfig config) throws IOException {
        return new ReadinessBackend<>(new NioBackend(), config);
    }
}
