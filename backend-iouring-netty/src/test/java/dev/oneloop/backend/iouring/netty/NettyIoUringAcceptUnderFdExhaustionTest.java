package dev.oneloop.backend.iouring.netty;

import dev.oneloop.backend.testing.AcceptUnderFdExhaustionTest;

class NettyIoUringAcceptUnderFdExhaustionTest extends AcceptUnderFdExhaustionTest {

    @Override
    protected String backendName() {
        return NettyIoUringBackendProvider.NAME;
    }
}
