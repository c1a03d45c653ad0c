package dev.oneloop.backend.iouring.netty;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.internal.AbstractBackendProvider;
import io.netty.channel.uring.IoUring;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Provides {@link NettyIoUringBackend} as {@code iouring-netty}. Availability is Netty's own probe
 * ({@link IoUring#isAvailable()}: native library loaded, kernel new enough, {@code io_uring_setup}
 * permitted), computed once per JVM; a missing library or class is reported, never thrown.
 *
 * <p>{@value #FORCE_UNAVAILABLE_PROPERTY}{@code =true} makes the probe fail, so that the fallback
 * of {@code -Dbackend=auto} can be tried on a machine where io_uring works.
 */
public final class NettyIoUringBackendProvider extends AbstractBackendProvider {

    public static final String NAME = "iouring-netty";
    public static final String FORCE_UNAVAILABLE_PROPERTY = "oneloop.iouring-netty.forceUnavailable";

    private static final Path IO_URING_DISABLED = Path.of("/proc/sys/kernel/io_uring_disabled");

    /** Read when the provider is made, as ServiceLoader makes it; the probe itself waits until asked. */
    private final boolean forcedUnavailable = Boolean.getBoolean(FORCE_UNAVAILABLE_PROPERTY);

    public NettyIoUringBackendProvider() {
        super(NAME);
    }

    @Override
    protected Throwable probe() {
        if (forcedUnavailable) {
            return new UnsupportedOperationException("io_uring disabled with -D" + FORCE_UNAVAILABLE_PROPERTY + "=true");
        }
        try {
            return IoUring.isAvailable() ? null : explain(IoUring.unavailabilityCause());
        } catch (LinkageError e) {
            // netty-transport-classes-io_uring itself is missing or broken.
            return e;
        }
    }

    @Override
    protected Backend openAvailable(BackendConfig config) throws IOException {
        return new NettyIoUringBackend(config);
    }

    /**
     * Names the errno of a failed {@code io_uring_setup} and its usual reason; Netty reports only
     * {@code strerror}, e.g. "failed to create io_uring ring fd: Operation not permitted".
     */
    static Throwable explain(Throwable cause) {
        String message = rootMessage(cause);
        String why;
        if (message.contains("Operation not permitted")) {
            String disabled = ioUringDisabledSetting();
            why = "io_uring_setup: EPERM ("
                    + (disabled != null && !disabled.equals("0")
                            ? "kernel.io_uring_disabled=" + disabled
                            : "refused by a seccomp filter, e.g. a container's default profile, or by kernel.io_uring_disabled")
                    + ")";
        } else if (message.contains("Cannot allocate memory")) {
            why = "io_uring_setup: ENOMEM (ring memory over the locked-memory limit, see ulimit -l)";
        } else if (message.contains("Function not implemented")) {
            why = "io_uring_setup: ENOSYS (kernel built without io_uring, or the syscall is filtered)";
        } else {
            return cause;
        }
        return new IOException(why, cause);
    }

    private static String rootMessage(Throwable cause) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            text.append(t.getMessage()).append('\n');
        }
        return text.toString();
    }

    private static String ioUringDisabledSetting() {
        try {
            return Files.readString(IO_URING_DISABLED).trim();
        } catch (IOException | SecurityException e) {
            return null;
        }
    }
}
