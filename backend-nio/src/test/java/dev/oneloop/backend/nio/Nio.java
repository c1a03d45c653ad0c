package dev.oneloop.backend.nio;

import dev.oneloop.backend.contract.BackendUnderTest;

/** The contract suites run against the NIO Selector backend: each {@code Nio*ContractTest} is a topic suite plus this. */
interface Nio extends BackendUnderTest {

    @Override
    default String backendName() {
        return "nio";
    }
}
