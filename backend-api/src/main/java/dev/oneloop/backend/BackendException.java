package dev.oneloop.backend;

import java.io.IOException;

/**
 * Every {@link IOException} a {@link Backend} hands to a {@link Backend.Handler} or throws from an
 * operation: it says its {@linkplain #kind() kind} and, when the kernel gave one, its
 * {@linkplain #errno() errno}, so that an application can tell {@code EMFILE} from
 * {@code ECONNRESET} without reading the message. The message names the operation and the errno,
 * e.g. {@code "recv failed: ECONNRESET (Connection reset by peer)"}.
 */
public final class BackendException extends IOException {

    private static final long serialVersionUID = 1L;

    private final ErrorKind kind;
    private final int errno;

    private BackendException(ErrorKind kind, int errno, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.errno = errno;
    }

    /** The kind of failure. */
    public ErrorKind kind() {
        return kind;
    }

    /** The positive Linux errno, or {@code 0} when the failure has none (e.g. {@link ErrorKind#OUT_OF_HANDLES}). */
    public int errno() {
        return errno;
    }

    /** The kind of any exception a backend reported: {@link ErrorKind#OTHER} if it is not a {@code BackendException}. */
    public static ErrorKind kindOf(Throwable error) {
        return error instanceof BackendException e ? e.kind : ErrorKind.OTHER;
    }

    /**
     * {@code operation} failed with the positive or negated errno {@code errno} (io_uring and
     * Netty report {@code -errno}): {@code "recv failed: ECONNRESET (Connection reset by peer)"}.
     */
    public static BackendException ofErrno(String operation, int errno) {
        return ofErrno(operation, errno, null);
    }

    /** {@link #ofErrno(String, int)} for a mechanism whose exception carried the errno, kept as the cause. */
    public static BackendException ofErrno(String operation, int errno, Throwable cause) {
        int number = Math.abs(errno);
        Errno known = Errno.of(number);
        String name = known == null ? "errno " + number : known.name() + " (" + known.text + ")";
        return new BackendException(known == null ? ErrorKind.OTHER : known.kind, number, operation + " failed: " + name, cause);
    }

    /**
     * The same failure as {@code error}, typed: an exception already typed is returned as it is; for
     * the JDK's exceptions, which carry only {@code strerror} text, the errno is recognised from
     * the message (on Linux the JDK ends it with that text). The original is kept as the cause.
     */
    public static BackendException of(String operation, IOException error) {
        if (error instanceof BackendException typed) {
            return typed;
        }
        Errno known = Errno.ofMessage(error.getMessage());
        String detail = known == null ? String.valueOf(error.getMessage()) : known.name() + " (" + known.text + ")";
        return new BackendException(known == null ? ErrorKind.OTHER : known.kind, known == null ? 0 : known.number,
                operation + " failed: " + detail, error);
    }

    /**
     * {@code what} (e.g. {@code "connection closed"}, {@code "cannot listen on /127.0.0.1:80"})
     * because all {@code capacity} handles are in use: the one wording of every backend.
     */
    public static BackendException outOfHandles(String what, int capacity) {
        return new BackendException(ErrorKind.OUT_OF_HANDLES, 0,
                what + ": all " + capacity + " handles (maxHandles) are in use", null);
    }

    /** A failure with a kind and errno of its own and a cause, for mechanisms whose errors come wrapped. */
    public static BackendException of(String message, ErrorKind kind, int errno, Throwable cause) {
        return new BackendException(kind, errno, message, cause);
    }
}
