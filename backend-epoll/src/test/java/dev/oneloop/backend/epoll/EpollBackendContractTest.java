package dev.oneloop.backend.epoll;

import dev.oneloop.backend.BackendContractTest;

class EpollBackendContractTest extends BackendContractTest {

    @Override
    protected String backendName() {
        return "epoll";
    }
}
