package dev.oneloop.backend.iouring;

import dev.oneloop.backend.testing.AcceptUnderFdExhaustionTest;

class IoUringAcceptUnderFdExhaustionTest extends AcceptUnderFdExhaustionTest {

    @Override
    protected String backendName() {
        return IoUringBackendProvider.NAME;
    }
}
