package dev.oneloop.backend.iouring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.testing.RequiredBackends;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class IoUringBackendProviderTest {

    @Test
    void namesTheErrnoOfARefusedRingSetupAndItsUsualReason() {
        assertThat(Ring.setupError(Uring.EPERM)).hasMessageStartingWith("io_uring_setup: EPERM (")
                .hasMessageContaining("io_uring_disabled");
        assertThat(Ring.setupError(Uring.ENOMEM)).hasMessageStartingWith("io_uring_setup: ENOMEM").hasMessageContaining("ulimit -l");
        assertThat(Ring.setupError(Uring.ENOSYS)).hasMessageStartingWith("io_uring_setup: ENOSYS");
    }

    @Test
    void knowsTheSyscallNumbersOfThisMachine() {
        assertThat(Uring.unsupportedArchitecture()).isNull();
    }

    @Test
    void isNamedIouringAndAvailableWhereRequired() {
        IoUringBackendProvider provider = new IoUringBackendProvider();
        assertThat(provider.name()).isEqualTo("iouring");
        if (RequiredBackends.isRequired("iouring")) {
            assertThat(provider.unavailabilityCause()).isNull();
            assertThat(provider.isAvailable()).isTrue();
        }
    }

    @Test
    void theForceUnavailablePropertyMakesItUnavailableWithTheReason() {
        System.setProperty(IoUringBackendProvider.FORCE_UNAVAILABLE_PROPERTY, "true");
        IoUringBackendProvider provider;
        try {
            provider = new IoUringBackendProvider();
        } finally {
            System.clearProperty(IoUringBackendProvider.FORCE_UNAVAILABLE_PROPERTY);
        }
        assertThat(provider.isAvailable()).isFalse();
        assertThat(provider.unavailabilityCause()).hasMessageContaining("forceUnavailable");
        assertThatThrownBy(() -> provider.open(new BackendConfig(4, 1024))).isInstanceOf(IOException.class)
                .hasRootCauseMessage("io_uring disabled with -Doneloop.iouring.forceUnavailable=true");
    }
}
