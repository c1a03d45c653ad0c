package dev.oneloop.backend.epoll;

import dev.oneloop.backend.contract.BackendUnderTest;

/** The contract suites run against the epoll backend: each {@code Epoll*ContractTest} is a topic suite plus this. */
interface Epoll extends BackendUnderTest {

    @Override
    default String backendName() {
        return "epoll";
    }
}
