/** The oneloop backend on Linux epoll, through Netty 4.2's EpollIoHandler; found only through its provider. */
module dev.oneloop.backend.epoll {
    requires dev.oneloop.backend.readiness;
    requires io.netty.common;
    requires io.netty.transport;
    requires io.netty.transport.unix.common;
    requires io.netty.transport.classes.epoll;

    provides dev.oneloop.backend.BackendProvider with dev.oneloop.backend.epoll.EpollBackendProvider;
}
