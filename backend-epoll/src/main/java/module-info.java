/** The oneloop backend on Netty's native epoll, driven by the application's thread; found only through its provider. */
module dev.oneloop.backend.epoll {
    requires dev.oneloop.backend;
    requires io.netty.common;
    requires io.netty.transport;
    requires io.netty.transport.unix.common;
    requires io.netty.transport.classes.epoll;

    provides dev.oneloop.backend.BackendProvider with dev.oneloop.backend.epoll.EpollBackendProvider;
}
