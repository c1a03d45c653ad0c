package dev.oneloop.backend.iouring;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;

/** Skips io_uring tests where io_uring cannot run, unless the build lists it as required. */
final class IoUringSupport {

    private IoUringSupport() {
    }

    static void assumeOrRequireAvailable() {
        IoUringBackendProvider provider = new IoUringBackendProvider();
        if (provider.isAvailable()) {
            return;
        }
        boolean required = Arrays.asList(System.getProperty("oneloop.test.requiredBackends", "").split(","))
                .contains(IoUringBackendProvider.NAME);
        if (required) {
            throw new AssertionError("io_uring is required here but unavailable", provider.unavailabilityCause());
        }
        assumeTrue(false, "io_uring unavailable: " + provider.unavailabilityCause());
    }
}
