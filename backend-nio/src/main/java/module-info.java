/** The oneloop backend on the JDK's NIO {@link java.nio.channels.Selector}; found only through its provider. */
module dev.oneloop.backend.nio {
    requires dev.oneloop.backend.readiness;

    provides dev.oneloop.backend.BackendProvider with dev.oneloop.backend.nio.NioBackendProvider;
}
