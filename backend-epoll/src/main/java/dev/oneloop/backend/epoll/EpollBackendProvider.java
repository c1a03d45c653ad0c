package dev.oneloop.backend.epoll;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.BackendProvider;
import io.netty.channel.epoll.Epoll;
import dev.oneloop.backend.readiness.ReadinessBackend;
import java.io.IOException;

/**
 * Provides {@code -Dbackend=epoll}: Linux epoll through Netty's native transport. Available when
 * Netty's {@link Epoll} loaded its JNI library and could create an epoll instance; otherwise the
 * cause is Netty's own (for example an {@code UnsatisfiedLinkError} naming the missing library).
 */
public final class EpollBackendProvider implements BackendProvider {

    /** {@code null} until first asked, so that merely finding this provider loads no native code. */
    private Availability availability;

    public EpollBackendProvider() {
    }

    @Override
    public String name() {
        return EpollBackend.NAME;
    }

    @Override
    public boolean isAvailable() {
        return availability().cause == null;
    }

    @Override
    public Throwable unavailabilityCause() {
        return availability().cause;
    }

    @Override
    public Backend open(BackendConfig config) throws IOException {
        Throwable cause = unavailabilityCause();
        if (cause != null) {
            throw new IOException("epoll is not available: " + cause, cause);
        }
        return new ReadinessBackend<>(new EpollBackend(), config);
    }

    private Availability availability() {
        Availability known = availability;
        if (known == null) {
            known = new Availability(probe());
            availability = known;
        }
        return known;
    }

    private static Throwable probe() {
        try {
            return Epoll.isAvailable() ? null : Epoll.unavailabilityCause();
        } catch (LinkageError e) {
            // netty-transport-classes-epoll (or a jar it needs) is missing from the class path.
            return e;
        }
    }

    private record Availability(Throwable cause) {
    }
}
