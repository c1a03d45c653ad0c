package dev.oneloop.backend.readiness;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * What a readiness backend must provide underneath {@link ReadinessBackend}: sockets, a way to
 * wait for their readiness, and the non-blocking syscalls. Everything the {@code Backend} contract
 * asks beyond that (arming, the write path, completions, failures, handles, thread confinement) is
 * the core's. Every method is called on the loop thread except {@link #wakeup()}.
 *
 * <p>Readiness is reported during {@link #await} by calling {@link Endpoint#ready(int)} on the
 * endpoint a socket was {@linkplain #register registered} with, with {@link #READABLE},
 * {@link #WRITABLE} and {@link #PEER_SHUTDOWN} bits; {@code ready} only records and queues, it never
 * calls the application. A mechanism may report readiness that nobody asked for (edge-triggered
 * epoll reports every {@code EPOLLIN}) and must report, while it is asked for, readiness that
 * {@linkplain #interest interest} names: the core asks for {@link #READ} only while it waits for
 * bytes it does not know to be there, and for {@link #WRITE} only while a write waits for room.
 *
 * @param <S> the mechanism's socket
 */
public interface Mechanism<S> {

    /** Readiness bit: bytes, end of stream, an error or (for a listener) a connection may wait. */
    int READABLE = 1;
    /** Readiness bit: the send buffer has room, or an error waits. */
    int WRITABLE = 2;
    /** Readiness bit: the peer shut down its side (a short read no longer means the queue is empty). */
    int PEER_SHUTDOWN = 4;

    /** Interest bit: report {@link #READABLE} (for a listener: a connection to accept). */
    int READ = 1;
    /** Interest bit: report {@link #WRITABLE}. */
    int WRITE = 2;

    /** The backend's name, e.g. {@code "epoll"}. */
    String name();

    /**
     * A non-blocking socket of {@code ipv6}'s family with {@code SO_REUSEADDR}, bound to
     * {@code address} and listening; not registered yet.
     */
    S listen(InetSocketAddress address, boolean ipv6, int backlog) throws IOException;

    /**
     * Accepts one connection: a non-blocking socket with {@code TCP_NODELAY}, or {@code null} when
     * none waits. A connection that cannot be set up (its peer is gone already) is closed and the
     * next one taken. Throws for an error of the listener ({@code EMFILE}, ...).
     */
    S accept(S listener) throws IOException;

    /** Starts reporting {@code socket}'s readiness to {@code endpoint}, with no interest yet. */
    void register(S socket, Endpoint<S> endpoint) throws IOException;

    /** Sets the readiness {@code socket} must report from now: {@link #READ} and {@link #WRITE} bits. */
    void interest(S socket, int interest) throws IOException;

    /**
     * Receives into {@code dst} from its position: the number of bytes, {@code 0} if none wait
     * ({@code EAGAIN}), {@code -1} at end of stream.
     */
    int receive(S socket, ByteBuffer dst) throws IOException;

    /**
     * Sends from {@code src}'s position to its limit and advances the position: the number of bytes
     * sent, {@code 0} if the send buffer is full ({@code EAGAIN}). Never raises {@code SIGPIPE}.
     */
    int send(S socket, ByteBuffer src) throws IOException;

    InetSocketAddress localAddress(S socket) throws IOException;

    /** Closes {@code socket} (the peer sees FIN, or RST if unread bytes remain); no readiness for it follows. */
    void close(S socket);

    /**
     * Waits at most {@code timeoutNanos} for readiness ({@code Backend.WAIT_FOREVER}: until some;
     * {@code Backend.NO_WAIT}: not at all), reporting it to the endpoints. A positive timeout
     * returns early only for readiness or a wakeup, never before it has passed otherwise.
     */
    void await(long timeoutNanos) throws IOException;

    /** Makes a blocked or the next {@link #await} return promptly; any thread. */
    void wakeup();

    /** Releases the mechanism (after every socket was closed). */
    void close();
}
