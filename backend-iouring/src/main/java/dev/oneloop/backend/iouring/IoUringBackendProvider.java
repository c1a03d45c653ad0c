package dev.oneloop.backend.iouring;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.internal.AbstractBackendProvider;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Provides {@link IoUringBackend} as {@code iouring}. Availability is computed once per JVM: a
 * known architecture, FFM downcalls linkable (native access), {@code io_uring_setup} permitted
 * (EPERM, ENOMEM and ENOSYS explained), and every opcode the backend submits reported by
 * {@code IORING_REGISTER_PROBE}. A failure is reported, never thrown.
 *
 * <p>{@value #FORCE_UNAVAILABLE_PROPERTY}{@code =true} makes it unavailable, so that the fallback of
 * {@code -Dbackend=auto} can be tried on a machine where io_uring works.
 */
public final class IoUringBackendProvider extends AbstractBackendProvider {

    public static final String NAME = "iouring";
    public static final String FORCE_UNAVAILABLE_PROPERTY = "oneloop.iouring.forceUnavailable";

    /** Read when the provider is made, as ServiceLoader makes it; the probe itself waits until asked. */
    private final boolean forcedUnavailable = Boolean.getBoolean(FORCE_UNAVAILABLE_PROPERTY);

    public IoUringBackendProvider() {
        super(NAME);
    }

    @Override
    protected Throwable probe() {
        return forcedUnavailable
                ? new UnsupportedOperationException("io_uring disabled with -D" + FORCE_UNAVAILABLE_PROPERTY + "=true")
                : Probe.CAUSE;
    }

    /** The kernel's answer, asked once per JVM, when first needed. */
    private static final class Probe {
        static final Throwable CAUSE = probeKernel();
    }

    private static Throwable probeKernel() {
        String arch = Uring.unsupportedArchitecture();
        if (arch != null) {
            return new UnsupportedOperationException(arch);
        }
        MemorySegment errno;
        try (Arena arena = Arena.ofConfined()) {
            try {
                errno = Libc.newErrnoSegment(arena);
                Libc.SYSCALL2.type(); // links libc (fails without native access)
            } catch (LinkageError | RuntimeException e) {
                return new UnsupportedOperationException("FFM downcalls to libc are not available: " + e, e);
            }
            try (Ring ring = Ring.open(8, 16, errno, arena)) {
                int missing = ring.missingOp(Ring.REQUIRED_OPS, arena);
                if (missing >= 0) {
                    return new UnsupportedOperationException("this kernel's io_uring lacks IORING_OP_" + Uring.opName(missing));
                }
            } catch (IOException e) {
                return e;
            }
        } catch (RuntimeException | LinkageError e) {
            return e;
        }
        return null;
    }

    @Override
    protected Backend openAvailable(BackendConfig config) throws IOException {
        return new IoUringBackend(config);
    }
}
