package dev.oneloop.backend;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * The I/O layer of a oneloop server: TCP listeners and connections driven by one thread that the
 * application owns.
 *
 * <p>The shape is <em>completion</em>-based, in the manner of TigerBeetle's {@code IO}, libxev and
 * Boost.Asio: the application <em>starts</em> an operation ({@link #accept}, {@link #read},
 * {@link #write}) and learns its result later, from a callback on the {@link Handler} passed to
 * {@link #poll}. Completion kernels (io_uring) serve this shape directly and readiness kernels
 * (epoll, the NIO Selector) by doing the syscall when the socket is ready; how each backend does it
 * is described in its own class, not here: this interface states only the contract.
 *
 * <h2>Threading</h2>
 * A backend is confined to the thread that {@linkplain BackendProvider#open opened} it, the
 * <em>loop thread</em>. Every method must be called on it, except {@link #wakeup()}, which any
 * thread may call at any time, and {@link #name()}; any other method called on another thread
 * throws {@link IllegalStateException} and changes nothing. Callbacks run on the loop thread, only
 * from inside {@link #poll}, never from inside the method that started the operation; a handler may
 * start and close operations from within a callback, but calling {@code poll} from a callback
 * throws {@link IllegalStateException}. No method blocks except {@code poll}. After
 * {@link #close()}, every method but {@code close()}, {@code wakeup}, {@code name} and
 * {@code openHandles} (then {@code 0}) throws {@link IllegalStateException}, {@code close(handle)}
 * included.
 *
 * <h2>Handles</h2>
 * Listeners and connections are named by {@code int} handles, a slot plus a generation
 * ({@link Handles}). A handle is valid from the moment it is returned (by {@link #listen}) or
 * delivered (by {@link Handler#onAccept}) until {@link #close} is called on it. After
 * {@code close(h)} returns, no callback for {@code h} is ever delivered, even if the kernel reports
 * an operation of {@code h} later; its slot may be reused, but under a new generation, so a stale
 * handle never reaches another connection. Starting an operation on a closed (stale) handle, or
 * {@code localAddress} of one, throws {@link IllegalStateException} ({@code "no open handle ..."}),
 * as does a connection operation on a listener or {@code accept} on a connection; closing a stale
 * handle does nothing. A backend holds at most {@link BackendConfig#maxHandles()} handles at once:
 * beyond that, {@code listen} throws and acceptance stops with a {@link BackendException} of kind
 * {@link ErrorKind#OUT_OF_HANDLES} (the connection the kernel accepted is closed).
 *
 * <h2>Operations and buffer ownership</h2>
 * <ul>
 *   <li>{@link #read(int)} arms <em>one</em> receive. When data arrives the backend reads into a
 *       buffer it owns and calls {@link Handler#onRead} with a read-only view of the bytes; the view
 *       is valid only until that callback returns (copy what you keep). The receive is then
 *       finished: call {@code read} again to get more. Not re-arming is how an application applies
 *       backpressure; the kernel's socket buffer then fills and TCP flow control slows the peer.
 *       Calling {@code read} while a receive is armed, or after {@link Handler#onEof}, does nothing.
 *   <li>{@link #write(int, ByteBuffer)} starts sending all of {@code src}'s remaining bytes. From
 *       this call until {@link Handler#onWritten} (or {@link Handler#onError}, or {@code close}) the
 *       buffer belongs to the backend: the caller must neither modify nor reuse it, because a
 *       completion-model kernel reads from it later. Partial writes are continued by the backend;
 *       {@code onWritten} means every byte was handed to the kernel and the buffer is the caller's
 *       again (its position is then at its limit). At most one write per connection is in flight;
 *       a second one throws {@link IllegalStateException}. {@code src} must be a direct buffer.
 *   <li>{@link #accept(int)} arms continuous acceptance on a listener: every new connection is
 *       delivered to {@link Handler#onAccept} until an error stops it ({@link Handler#onAcceptError},
 *       e.g. {@code EMFILE}); acceptance then stays disarmed until {@code accept} is called again,
 *       so an application can back off instead of spinning.
 * </ul>
 * Accepted connections have {@code TCP_NODELAY} set.
 *
 * <h2>Results: would-block, end of stream, errors</h2>
 * Would-block ({@code EAGAIN}) is never visible: it is the state in which an armed operation
 * waits. End of stream (the peer shut down its sending side) is {@link Handler#onEof}, delivered
 * once, in place of a read; the connection stays open for writing. A failed operation on a
 * connection ({@code ECONNRESET}, {@code EPIPE}, ...) is {@link Handler#onError}; the connection
 * is then useless and the application should close it. {@code SIGPIPE} is never raised.
 *
 * <p>Every {@link IOException} a backend reports, to a handler or thrown from {@link #listen} or
 * {@link #localAddress}, is a {@link BackendException}: its {@link BackendException#kind() kind}
 * ({@link ErrorKind#CONNECTION_RESET}, {@link ErrorKind#TOO_MANY_OPEN_FILES}, ...) and
 * {@link BackendException#errno() errno} are the same on every backend for the same failure, so an
 * application decides on the kind, never on the message. {@code poll} throws an {@link IOException}
 * only when the backend itself failed (the loop cannot continue).
 *
 * <h2>Spurious wake-ups</h2>
 * {@link #poll} may return having delivered no callback (a wakeup, a timeout, an event the backend
 * consumed itself, or a readiness notification whose syscall found nothing). A callback, however,
 * always carries a real result: {@code onRead} never delivers zero bytes.
 *
 * <h2>Timeouts</h2>
 * {@code poll(timeoutNanos, handler)}: a negative timeout ({@link #WAIT_FOREVER}) waits until an
 * event or a wakeup; {@code 0} ({@link #NO_WAIT}) never blocks; a positive value waits at most that
 * long, rounded <em>up</em> to the mechanism's resolution, so a timer deadline is never reached
 * early.
 */
public interface Backend extends AutoCloseable {

    /** {@link #poll} timeout that waits until an event or a {@link #wakeup()}. */
    long WAIT_FOREVER = -1;

    /** {@link #poll} timeout that never blocks. */
    long NO_WAIT = 0;

    /** The lowercase name by which {@code -Dbackend=} selects this backend: {@code nio}, {@code epoll}, {@code iouring}. */
    String name();

    /**
     * Binds a listening socket (with {@code SO_REUSEADDR}) and returns its handle. Acceptance is
     * not armed yet: call {@link #accept(int)}. The socket's family is the address's: an IPv4
     * address (including the wildcard {@code 0.0.0.0}) gets an IPv4-only socket, an IPv6 address an
     * IPv6 one ({@code ::} then also accepts IPv4 as the system's {@code bindv6only} allows).
     *
     * @throws IllegalArgumentException if {@code address} is unresolved
     * @throws BackendException if the socket cannot be bound ({@link ErrorKind#ADDRESS_IN_USE}, ...)
     *         or every handle is in use ({@link ErrorKind#OUT_OF_HANDLES})
     */
    int listen(InetSocketAddress address, int backlog) throws IOException;

    /** The address a listener or connection is bound to; for a listener on port 0, the port chosen. */
    InetSocketAddress localAddress(int handle) throws IOException;

    /** Arms continuous acceptance on {@code listener}; see the class comment. Idempotent while armed. */
    void accept(int listener);

    /** Arms one receive on {@code connection}; see the class comment. Idempotent while armed. */
    void read(int connection);

    /** Starts sending {@code src}'s remaining bytes; the buffer is the backend's until {@link Handler#onWritten}. */
    void write(int connection, ByteBuffer src);

    /**
     * Closes a listener or connection: the handle is dead when this returns. Bytes of an unfinished
     * write are dropped (wait for {@link Handler#onWritten} to close gracefully); the peer sees FIN,
     * or RST if unread input remains. The descriptor (and a listener's port) may be released only
     * by the next {@link #poll}. No callback for {@code handle} follows. Closing a stale handle does
     * nothing.
     */
    void close(int handle);

    /**
     * Waits for at most {@code timeoutNanos} (see "Timeouts") and delivers every result that is
     * ready to {@code handler}.
     *
     * @return the number of callbacks delivered; {@code 0} on a timeout, wakeup or spurious event
     * @throws IOException if the mechanism itself failed
     */
    int poll(long timeoutNanos, Handler handler) throws IOException;

    /** Makes a blocked or the next {@link #poll} return promptly. The only method any thread may call. */
    void wakeup();

    /** Number of open listeners and connections. */
    int openHandles();

    /** Closes every handle and releases the mechanism (selector, epoll fd, ring). */
    @Override
    void close();

    /**
     * Results of operations, called by {@link #poll} on the loop thread. Implementations may call
     * any {@link Backend} method, including {@code close} of the handle being reported.
     */
    interface Handler {

        /** {@code listener} accepted {@code connection}, a new handle; nothing is armed on it yet. */
        void onAccept(int listener, int connection);

        /**
         * Acceptance on {@code listener} stopped with {@code error}, a {@link BackendException}
         * (e.g. {@link ErrorKind#TOO_MANY_OPEN_FILES}); re-arm with {@link #accept}.
         */
        void onAcceptError(int listener, IOException error);

        /** Bytes received on {@code connection}; {@code data} is valid only during this call. The receive is finished. */
        void onRead(int connection, ByteBuffer data);

        /** The peer shut down its sending side; nothing more will be read. Writing still works. */
        void onEof(int connection);

        /** The buffer passed to {@link #write} has been written completely and is the caller's again. */
        void onWritten(int connection);

        /**
         * An operation on {@code connection} failed with {@code error}, a {@link BackendException}
         * (e.g. {@link ErrorKind#CONNECTION_RESET}); close it.
         */
        void onError(int connection, IOException error);
    }
}
