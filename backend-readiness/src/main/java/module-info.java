/**
 * The readiness core shared by the {@code nio} and {@code epoll} backends: the {@code Backend}
 * contract's bookkeeping (write path, completion queue, failures, lifecycle, handles, thread
 * confinement) written once over a narrow {@link dev.oneloop.backend.readiness.Mechanism}. Not API.
 */
module dev.oneloop.backend.readiness {
    requires transitive dev.oneloop.backend;

    exports dev.oneloop.backend.readiness to dev.oneloop.backend.nio, dev.oneloop.backend.epoll;
}
