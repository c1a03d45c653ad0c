package dev.oneloop.backend.iouring.netty;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NettyIoUringBackendProviderTest {

    @Test
    void namesTheErrnoOfARefusedRingSetup() {
        Throwable eperm = NettyIoUringBackendProvider.explain(
                new RuntimeException("failed to create io_uring ring fd: Operation not permitted"));
        assertThat(eperm).hasMessageStartingWith("io_uring_setup: EPERM").hasCauseInstanceOf(RuntimeException.class);

        Throwable enomem = NettyIoUringBackendProvider.explain(new RuntimeException(
                "failed to allocate memory for io_uring ring; try raising memlock limit: Cannot allocate memory"));
        assertThat(enomem).hasMessageStartingWith("io_uring_setup: ENOMEM");

        Throwable wrapped = NettyIoUringBackendProvider.explain(new UnsatisfiedLinkError("failed to load the required native library")
                .initCause(new RuntimeException("failed to create io_uring ring fd: Function not implemented")));
        assertThat(wrapped).hasMessageStartingWith("io_uring_setup: ENOSYS");
    }

    @Test
    void leavesOtherCausesAsTheyAre() {
        UnsatisfiedLinkError missing = new UnsatisfiedLinkError("could not load a native library: netty_transport_native_io_uring42_x86_64");
        assertThat(NettyIoUringBackendProvider.explain(missing)).isSameAs(missing);
    }

    @Test
    void isNamedIouring() {
        assertThat(new NettyIoUringBackendProvider().name()).isEqualTo("iouring-netty");
    }
}
