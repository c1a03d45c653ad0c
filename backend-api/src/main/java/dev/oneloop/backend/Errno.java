package dev.oneloop.backend;

/**
 * The Linux errno values a backend reports, with their symbolic names, the text {@code strerror}
 * gives (and the JDK's exceptions carry, since NIO exposes no errno), and their {@link ErrorKind}.
 */
enum Errno {
    EPERM(1, "Operation not permitted", ErrorKind.PERMISSION_DENIED),
    EBADF(9, "Bad file descriptor", ErrorKind.OTHER),
    EAGAIN(11, "Resource temporarily unavailable", ErrorKind.OTHER),
    ENOMEM(12, "Cannot allocate memory", ErrorKind.OUT_OF_MEMORY),
    EACCES(13, "Permission denied", ErrorKind.PERMISSION_DENIED),
    EINVAL(22, "Invalid argument", ErrorKind.OTHER),
    ENFILE(23, "Too many open files in system", ErrorKind.TOO_MANY_OPEN_FILES),
    EMFILE(24, "Too many open files", ErrorKind.TOO_MANY_OPEN_FILES),
    EPIPE(32, "Broken pipe", ErrorKind.BROKEN_PIPE),
    EADDRINUSE(98, "Address already in use", ErrorKind.ADDRESS_IN_USE),
    EADDRNOTAVAIL(99, "Cannot assign requested address", ErrorKind.ADDRESS_NOT_AVAILABLE),
    ENETUNREACH(101, "Network is unreachable", ErrorKind.UNREACHABLE),
    ECONNABORTED(103, "Software caused connection abort", ErrorKind.CONNECTION_RESET),
    ECONNRESET(104, "Connection reset by peer", ErrorKind.CONNECTION_RESET),
    ENOBUFS(105, "No buffer space available", ErrorKind.OUT_OF_MEMORY),
    ENOTCONN(107, "Transport endpoint is not connected", ErrorKind.NOT_CONNECTED),
    ETIMEDOUT(110, "Connection timed out", ErrorKind.TIMED_OUT),
    ECONNREFUSED(111, "Connection refused", ErrorKind.CONNECTION_REFUSED),
    EHOSTUNREACH(113, "No route to host", ErrorKind.UNREACHABLE),
    ECANCELED(125, "Operation canceled", ErrorKind.OTHER);

    private static final Errno[] BY_NUMBER = new Errno[126];

    static {
        for (Errno e : values()) {
            BY_NUMBER[e.number] = e;
        }
    }

    final int number;
    final String text;
    final ErrorKind kind;

    Errno(int number, String text, ErrorKind kind) {
        this.number = number;
        this.text = text;
        this.kind = kind;
    }

    /** The entry for a positive errno, or {@code null} if this table does not know it. */
    static Errno of(int number) {
        return number > 0 && number < BY_NUMBER.length ? BY_NUMBER[number] : null;
    }

    /**
     * The entry whose strerror text ends {@code message} (the JDK appends it last), or {@code null}.
     * The JDK's socket channels shorten one: a read that meets {@code ECONNRESET} throws
     * {@code SocketException("Connection reset")}.
     */
    static Errno ofMessage(String message) {
        if (message == null) {
            return null;
        }
        for (Errno e : values()) {
            if (message.endsWith(e.text)) {
                return e;
            }
        }
        return message.endsWith("Connection reset") ? ECONNRESET : null;
    }
}
