/** The io_uring backend: completion-model I/O on Netty 4.2's IoUringIoHandler, driven by the loop thread. */
module dev.oneloop.backend.iouring.netty {
    requires dev.oneloop.backend;
    requires io.netty.common;
    requires io.netty.transport;
    requires io.netty.transport.unix.common;
    requires io.netty.transport.classes.io_uring;

    provides dev.oneloop.backend.BackendProvider with dev.oneloop.backend.iouring.netty.NettyIoUringBackendProvider;
}
