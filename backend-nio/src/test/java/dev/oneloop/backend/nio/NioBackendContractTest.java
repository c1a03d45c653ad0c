package dev.oneloop.backend.nio;

import dev.oneloop.backend.BackendContractTest;

class NioBackendContractTest extends BackendContractTest {

    @Override
    protected String backendName() {
        return "nio";
    }
}
