package dev.oneloop.backend.iouring;

import dev.oneloop.backend.BackendContractTest;

class IoUringBackendContractTest extends BackendContractTest {

    @Override
    protected String backendName() {
        return IoUringBackendProvider.NAME;
    }
}
