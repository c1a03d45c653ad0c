/** The oneloop Backend SPI: {@link dev.oneloop.backend.Backend}, its providers and the loader. */
module dev.oneloop.backend {
    requires transitive org.slf4j;

    exports dev.oneloop.backend;
    // The contract's checks and wording, shared by the backends; not API. (The compiler's "module"
    // lint is off for this module: these modules are not on its module path.)
    exports dev.oneloop.backend.internal to
            dev.oneloop.backend.readiness,
            dev.oneloop.backend.nio,
            dev.oneloop.backend.epoll,
            dev.oneloop.backend.iouring,
            dev.oneloop.backend.iouring.netty,
            dev.oneloop.sim;

    uses dev.oneloop.backend.BackendProvider;
}
