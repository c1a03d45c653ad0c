package dev.oneloop.backend.iouring;

import dev.oneloop.backend.contract.BackendUnderTest;

/** The contract suites run against our own io_uring ring: each {@code IoUring*ContractTest} is a topic suite plus this. */
interface IoUring extends BackendUnderTest {

    @Override
    default String backendName() {
        return "iouring";
    }
}
