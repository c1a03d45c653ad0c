package dev.oneloop.backend.epoll;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.BackendSelectionException;
import dev.oneloop.backend.Backends;

/** Child-process main for EpollBackendTest: asks for epoll explicitly and reports what happened. */
final class UnavailableProbe {

    private UnavailableProbe() {
    }

    public static void main(String[] args) {
        try (Backend backend = Backends.open(EpollBackend.NAME, BackendConfig.DEFAULT)) {
            System.out.println("opened " + backend.name());
        } catch (BackendSelectionException e) {
            System.out.println("refused: " + e.getMessage());
            System.exit(2);
        }
    }
}
