package dev.oneloop.backend.epoll;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.BackendProvider;
import io.netty.channel.epoll.Epoll;
import java.io.IOException;

/** Provides {@code -Dbackend=epoll}: Netty's native epoll, where its native library loads (Linux). */
public final class EpollBackendProvider implements BackendProvider {

    private final boolean available;
    private final Throwable unavailabilityCause;

    public EpollBackendProvider() {
        boolean loaded;
        Throwable cause;
        try {
            loaded = Epoll.isAvailable();
            cause = loaded ? null : Epoll.unavailabilityCause();
        } catch (LinkageError e) {
            // Netty's classes themselves missing or broken: ServiceLoader must still get a provider.
            loaded = false;
            cause = e;
        }
        available = loaded;
        unavailabilityCause = cause;
    }

    @Override
    public String name() {
        return EpollBackend.NAME;
    }

    @Override
    public boolean isAvailable() {
        return available;
    }

    @Override
    public Throwable unavailabilityCause() {
        return unavailabilityCause;
    }

    @Override
    public Backend open(BackendConfig config) throws IOException {
        try {
            Epoll.ensureAvailability();
        } catch (LinkageError e) {
            throw new IOException("native epoll is not available: " + e.getMessage(), e.getCause() != null ? e.getCause() : e);
        }
        return new EpollBackend(config);
    }
}
