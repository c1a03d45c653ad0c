package dev.oneloop.backend.iouring.netty;

import dev.oneloop.backend.contract.BackendUnderTest;

/** The contract suites run against the backend on Netty's io_uring transport: each {@code NettyIoUring*ContractTest} is a topic suite plus this. */
interface NettyIoUring extends BackendUnderTest {

    @Override
    default String backendName() {
        return "iouring-netty";
    }

    /**
     * Netty 4.2.18's IoUringIoHandler.run allocates a {@code this::handle} method reference per run
     * (netty/netty#17437, fixed after 4.2.18, whose natives are not served here); the backend itself
     * allocates nothing, which NettyIoUringAllocationTest checks.
     */
    @Override
    default long mechanismBytesPerPoll() {
        return 16;
    }
}
