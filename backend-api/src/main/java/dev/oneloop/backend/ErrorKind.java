package dev.oneloop.backend;

/**
 * What went wrong, as an application needs to know it: the kind of a {@link BackendException}.
 * Several errno values may share a kind ({@code EMFILE} and {@code ENFILE} are both
 * {@link #TOO_MANY_OPEN_FILES}); the exception keeps the errno itself too.
 */
public enum ErrorKind {
    /** The peer reset the connection ({@code ECONNRESET}, {@code ECONNABORTED}). */
    CONNECTION_RESET,
    /** Writing to a connection the peer has closed ({@code EPIPE}). */
    BROKEN_PIPE,
    /** Nobody listens at the address ({@code ECONNREFUSED}). */
    CONNECTION_REFUSED,
    /** The connection timed out ({@code ETIMEDOUT}), e.g. unacknowledged data or keep-alive. */
    TIMED_OUT,
    /** The socket is not (or no longer) connected ({@code ENOTCONN}). */
    NOT_CONNECTED,
    /** The process or the system is out of file descriptors ({@code EMFILE}, {@code ENFILE}). */
    TOO_MANY_OPEN_FILES,
    /** Every handle of the backend is in use ({@code BackendConfig.maxHandles}); no errno. */
    OUT_OF_HANDLES,
    /** The kernel is out of memory or buffers ({@code ENOMEM}, {@code ENOBUFS}). */
    OUT_OF_MEMORY,
    /** The address is already bound ({@code EADDRINUSE}). */
    ADDRESS_IN_USE,
    /** The address is not a local one ({@code EADDRNOTAVAIL}). */
    ADDRESS_NOT_AVAILABLE,
    /** Not allowed ({@code EACCES}, {@code EPERM}), e.g. a privileged port. */
    PERMISSION_DENIED,
    /** The network or host cannot be reached ({@code ENETUNREACH}, {@code EHOSTUNREACH}). */
    UNREACHABLE,
    /** Anything else; see the errno and the message. */
    OTHER;

    /** Whether the peer is gone: the connection can only be closed (reset, broken pipe, timed out, not connected). */
    public boolean peerGone() {
        return this == CONNECTION_RESET || this == BROKEN_PIPE || this == TIMED_OUT || this == NOT_CONNECTED;
    }

    /** Whether a resource ran out (descriptors, handles, memory): retrying later may succeed. */
    public boolean resourceExhausted() {
        return this == TOO_MANY_OPEN_FILES || this == OUT_OF_HANDLES || this == OUT_OF_MEMORY;
    }
}
