package dev.oneloop.backend.epoll;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.internal.AbstractBackendProvider;
import io.netty.channel.epoll.Epoll;
import dev.oneloop.backend.readiness.ReadinessBackend;
import java.io.IOException;

/**
 * Provides {@code -Dbackend=epoll}: Linux epoll through Netty's native transport. Available when
 * Netty's {@link Epoll} loaded its JNI library and could create an epoll instance; otherwise the
 * cause is Netty's own (for example an {@code UnsatisfiedLinkError} naming the missing library).
 */
public final class EpollBackendProvider extends AbstractBackendProvider {

    public EpollBackendProvider() {
        super(EpollBackend.NAME);
    }

    @Override
    protected Throwable probe() {
        try {
            return Epoll.isAvailable() ? null : Epoll.unavailabilityCause();
        } catch (LinkageError e) {
            // netty-transport-classes-epoll (or a jar it needs) is missing from the class path.
            return e;
        }
    }

    @Override
    protected Backend openAvailable(BackendConfig config) throws IOException {
        return new ReadinessBackend<>(new EpollBackend(), config);
    }
}
