package dev.oneloop.backend.iouring.netty;

import dev.oneloop.backend.BackendContractTest;

class NettyIoUringBackendContractTest extends BackendContractTest {

    @Override
    protected String backendName() {
        return "iouring-netty";
    }

    /**
     * Netty 4.2.18's IoUringIoHandler.run allocates a {@code this::handle} method reference per run
     * (netty/netty#17437, fixed after 4.2.18, whose natives are not served here); the backend itself
     * allocates nothing, which NettyIoUringAllocationTest checks.
     */
    @Override
    protected long mechanismBytesPerPoll() {
        return 16;
    }
}
