package dev.oneloop.backend.epoll;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.HandleTable;
import dev.oneloop.backend.Handles;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.ManualIoEventLoop;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.LinuxSocket;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.Socket;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Backend} on Netty's native epoll: an {@link EpollIoHandler} inside a {@link ManualIoEventLoop}
 * that only the loop thread runs, with each socket an {@link EpollIoHandle} over Netty's
 * {@link Socket}. No Netty channel, pipeline or thread is involved.
 *
 * <p>Edge-triggered throughout. A connection is registered once for {@code EPOLLIN | EPOLLRDHUP |
 * EPOLLET} and keeps it: arming a read is a flag, never an {@code epoll_ctl}. Each edge sets the
 * connection's {@code readable} flag, which only a read that found the socket drained clears; a read
 * armed while the flag is set is served from the ready list, without waiting for an edge that may
 * never come. {@code EPOLLOUT} is added only while a write waits for buffer space and dropped once
 * it drained, so an idle connection never wakes the loop for writability.
 *
 * <p>Readiness events are only recorded while Netty's {@code run} is on the stack; the syscalls and
 * callbacks happen afterwards, from the ready list, so a handler never runs inside Netty's event
 * loop and a handle closed by one callback is simply skipped by the rest of the turn.
 *
 * <p>Nothing is allocated per message: one direct read buffer with a read-only view serves every
 * connection, the ready, completion and interest-change queues are intrusive lists through the
 * connections, the interest sets are two preallocated {@link EpollIoOps}, and Netty hands out cached
 * {@link EpollIoEvent}s for every combination of {@code IN/OUT/ERR/RDHUP} (only {@code EPOLLHUP},
 * a connection's last event, gets a fresh one).
 */
final class EpollBackend implements Backend {

    static final String NAME = "epoll";

    private static final Logger LOG = LoggerFactory.getLogger(EpollBackend.class);

    /** uapi {@code EPOLLHUP}; Netty exposes no constant for it, though the kernel always reports it. */
    private static final int EPOLLHUP = 0x010;
    private static final int EPOLLIN = EpollIoOps.EPOLLIN.value();
    private static final int EPOLLOUT = EpollIoOps.EPOLLOUT.value();
    private static final int EPOLLERR = EpollIoOps.EPOLLERR.value();
    private static final int EPOLLRDHUP = EpollIoOps.EPOLLRDHUP.value();
    private static final int HANGUP = EPOLLRDHUP | EPOLLHUP | EPOLLERR;

    private static final EpollIoOps LISTENER_OPS = EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLET);
    private static final EpollIoOps CONNECTION_OPS =
            EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLRDHUP).with(EpollIoOps.EPOLLET);
    private static final EpollIoOps CONNECTION_WRITE_OPS = CONNECTION_OPS.with(EpollIoOps.EPOLLOUT);
    /** Accepts per listener per turn, so that a connection storm cannot starve established connections. */
    private static final int ACCEPTS_PER_TURN = 64;

    private final ManualIoEventLoop loop;
    private final HandleTable<Registration> handles;
    private final ByteBuffer readBuffer;
    /** The handler's window onto {@link #readBuffer}; only its position and limit change per read. */
    private final ByteBuffer readView;
    /** Filled by accept4 with the peer's address, which nobody asks for; one array for every accept. */
    private final byte[] acceptedAddress = new byte[26];
    /** Queued by {@link #wakeup()}: a queued task keeps {@code run} from blocking, race-free, where a bare eventfd write can be lost. */
    private final Runnable wakeupTask = () -> {
    };

    /** The handler of the {@code poll} in progress. */
    private Handler handler;
    private int delivered;
    /** Handles with readiness or an armed operation to serve (FIFO through {@link Registration#nextReady}). */
    private Registration readyHead;
    private Registration readyTail;
    /** Writes that ended inside {@code write()}, reported by the next poll (FIFO through {@link Connection#nextCompleted}). */
    private Connection completedHead;
    private Connection completedTail;
    /** Registrations whose epoll interest may be stale (a stack through {@link Registration#nextDirty}). */
    private Registration dirtyHead;
    private boolean closed;

    EpollBackend(BackendConfig config) {
        loop = new ManualIoEventLoop(Thread.currentThread(), EpollIoHandler.newFactory());
        handles = new HandleTable<>(config.maxHandles());
        readBuffer = ByteBuffer.allocateDirect(config.readBufferSize());
        readView = readBuffer.asReadOnlyBuffer();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int listen(InetSocketAddress address, int backlog) throws IOException {
        ensureOpen();
        LinuxSocket socket = LinuxSocket.newSocketStream(address.getAddress() instanceof Inet6Address);
        int handle = Handles.NONE;
        Listener listener = new Listener(socket);
        try {
            socket.setReuseAddress(true);
            socket.bind(address);
            socket.listen(backlog);
            handle = handles.add(listener);
            if (handle == Handles.NONE) {
                throw new IOException("cannot listen on " + address + ": all " + handles.capacity() + " handles (maxHandles) are in use");
            }
            listener.handle = handle;
            register(listener, LISTENER_OPS);
            return handle;
        } catch (IOException | RuntimeException e) {
            if (handle != Handles.NONE) {
                handles.remove(handle);
            }
            closeRegistration(listener);
            throw e;
        }
    }

    @Override
    public InetSocketAddress localAddress(int handle) throws IOException {
        Registration registration = handles.get(handle);
        if (registration == null) {
            throw stale(handle);
        }
        InetSocketAddress address = registration.socket.localAddress();
        if (address == null) {
            throw new IOException("getsockname failed for " + Handles.toString(handle));
        }
        return address;
    }

    @Override
    public void accept(int listener) {
        Listener l = listener(listener);
        if (!l.acceptArmed) {
            l.acceptArmed = true;
            // Connections may already wait in the backlog, and their edges went by while disarmed
            // (or never came: EMFILE leaves them queued): try accept4 in the next turn.
            markReady(l);
        }
    }

    @Override
    public void read(int connection) {
        Connection c = connection(connection);
        if (!c.readArmed && !c.eof) {
            c.readArmed = true;
            if (c.readable) {
                markReady(c); // the data's edge was consumed already; none may follow
            }
        }
    }

    @Override
    public void write(int connection, ByteBuffer src) {
        Connection c = connection(connection);
        if (!src.isDirect()) {
            throw new IllegalArgumentException("write needs a direct buffer, got " + src);
        }
        if (c.writing != null) {
            throw new IllegalStateException("a write is already in flight on " + Handles.toString(connection));
        }
        c.writing = src;
        // Speculative, as Asio does: most writes fit the socket buffer and never wait for EPOLLOUT.
        try {
            writeSome(c);
        } catch (IOException e) {
            c.writeError = e;
            queueCompletion(c);
            return;
        }
        if (src.hasRemaining()) {
            markDirty(c);
        } else {
            queueCompletion(c);
        }
    }

    @Override
    public void close(int handle) {
        Registration registration = handles.get(handle);
        if (registration != null) {
            handles.remove(handle);
            closeRegistration(registration);
        }
    }

    @Override
    public int poll(long timeoutNanos, Handler pollHandler) throws IOException {
        ensureOpen();
        if (handler != null) {
            throw new IllegalStateException("poll called from inside a callback");
        }
        handler = pollHandler;
        delivered = 0;
        try {
            deliverCompletions();
            serveReady();
            if (closed) {
                return delivered;
            }
            applyInterest();
            if (delivered > 0 || readyHead != null || completedHead != null || timeoutNanos == NO_WAIT) {
                loop.run(-1); // negative: collect what is ready without blocking
            } else if (timeoutNanos < 0) {
                loop.run(0); // zero: block until an event or a wakeup
            } else {
                waitUntil(System.nanoTime() + timeoutNanos);
            }
            serveReady();
        } finally {
            handler = null;
            if (closed) {
                shutDownLoop(); // the handler closed the backend from inside a callback
            }
        }
        return delivered;
    }

    /**
     * Blocks until something happens or the deadline passes, never returning early on a timeout:
     * Netty's epoll_wait takes whole milliseconds above its timerfd threshold and may come back
     * before a sub-millisecond deadline. {@code run} returns the epoll events and tasks it handled,
     * so zero means only a timeout, and then the rest of the time is waited again.
     */
    private void waitUntil(long deadline) {
        long remaining = deadline - System.nanoTime();
        while (remaining > 0) {
            if (loop.run(Math.max(1, remaining)) > 0 || readyHead != null) {
                return;
            }
            remaining = deadline - System.nanoTime();
        }
    }

    @Override
    public void wakeup() {
        try {
            loop.execute(wakeupTask);
        } catch (RejectedExecutionException e) {
            // The backend is closed (or closing): there is no poll left to wake.
        }
    }

    @Override
    public int openHandles() {
        return handles.size();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int slot = 0; slot < handles.capacity(); slot++) {
            Registration registration = handles.atSlot(slot);
            if (registration != null) {
                handles.remove(handles.handleAt(slot));
                closeRegistration(registration);
            }
        }
        readyHead = null;
        readyTail = null;
        completedHead = null;
        completedTail = null;
        dirtyHead = null;
        if (handler == null) {
            shutDownLoop();
        }
    }

    private void shutDownLoop() {
        if (loop.isTerminated()) {
            return;
        }
        loop.shutdownGracefully(0, 0, TimeUnit.NANOSECONDS);
        // The owner thread must run the loop through its shutdown: that closes epoll, eventfd and timerfd.
        for (int turns = 0; !loop.isTerminated() && turns < 1000; turns++) {
            loop.runNow();
        }
        if (!loop.isTerminated()) {
            LOG.atWarn().log("the epoll event loop did not terminate");
        }
    }

    // ------------------------------------------------------------------ inside poll

    /** Called by Netty from inside {@code run}: only record the readiness; it is served after {@code run} returns. */
    private void onEvent(Registration registration, int ops) {
        if (registration.closed) {
            return;
        }
        if (registration instanceof Connection c) {
            if ((ops & (EPOLLIN | HANGUP)) != 0) {
                c.readable = true;
            }
            if ((ops & HANGUP) != 0) {
                c.hangup = true;
            }
            if ((ops & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0) {
                c.writable = true;
            }
            if (c.readArmed || c.writing != null) {
                markReady(c);
            }
        } else if (((Listener) registration).acceptArmed) {
            markReady(registration);
        }
    }

    /** Serves the handles that were ready when it started; those made ready by its callbacks wait for the next turn. */
    private void serveReady() {
        Registration last = readyTail;
        while (readyHead != null && !closed) {
            Registration registration = readyHead;
            readyHead = registration.nextReady;
            if (readyHead == null) {
                readyTail = null;
            }
            registration.nextReady = null;
            registration.ready = false;
            if (!registration.closed) {
                if (registration instanceof Connection c) {
                    serve(c);
                } else {
                    acceptAll((Listener) registration);
                }
            }
            if (registration == last) {
                break;
            }
        }
    }

    private void serve(Connection c) {
        if (c.writable) {
            c.writable = false;
            if (c.writing != null && !c.queued) {
                continueWrite(c);
            }
        }
        if (c.readArmed && c.readable && !c.closed) {
            receive(c);
        }
    }

    private void acceptAll(Listener listener) {
        for (int accepted = 0; listener.acceptArmed && !listener.closed && !closed; accepted++) {
            if (accepted == ACCEPTS_PER_TURN) {
                markReady(listener); // more may wait, and their edges are spent: continue next turn
                return;
            }
            int fd;
            try {
                fd = listener.socket.accept(acceptedAddress);
            } catch (IOException e) {
                stopAccepting(listener, e); // EMFILE and the like: the application decides when to retry
                return;
            }
            if (fd < 0) {
                return; // EAGAIN: the backlog is empty; the next connection raises a new edge
            }
            Socket socket = new Socket(fd);
            Connection connection = new Connection(socket);
            try {
                socket.setTcpNoDelay(true);
            } catch (IOException e) {
                // The peer is typically gone already; that is its connection's problem, not the listener's.
                LOG.atDebug().addKeyValue("listener", Handles.toString(listener.handle)).setCause(e)
                        .log("dropping a connection that could not be set up");
                closeRegistration(connection);
                continue;
            }
            int handle = handles.add(connection);
            if (handle == Handles.NONE) {
                closeRegistration(connection);
                stopAccepting(listener, new IOException("connection closed: all " + handles.capacity()
                        + " handles (maxHandles) are in use"));
                return;
            }
            connection.handle = handle;
            try {
                register(connection, CONNECTION_OPS);
            } catch (IOException | RuntimeException e) {
                handles.remove(handle);
                closeRegistration(connection);
                stopAccepting(listener, e instanceof IOException io ? io : new IOException("epoll registration failed", e));
                return;
            }
            delivered++;
            handler.onAccept(listener.handle, handle);
        }
    }

    private void stopAccepting(Listener listener, IOException error) {
        listener.acceptArmed = false;
        delivered++;
        handler.onAcceptError(listener.handle, error);
    }

    private void receive(Connection c) {
        int capacity = readBuffer.capacity();
        int n;
        try {
            n = c.socket.recv(readBuffer, 0, capacity);
        } catch (IOException e) {
            fail(c, e);
            return;
        } catch (RuntimeException e) {
            fail(c, new IOException("recv failed", e)); // ENOTCONN surfaces as NotYetConnectedException
            return;
        }
        if (n == 0) {
            c.readable = false; // EAGAIN: stay armed until the next edge
            return;
        }
        c.readArmed = false;
        delivered++;
        if (n < 0) {
            c.eof = true;
            c.readable = false;
            handler.onEof(c.handle);
            return;
        }
        // A stream socket's recv returns less than asked for only when its receive queue is empty, and
        // under EPOLLET any later segment raises a new edge: no extra recv just to see EAGAIN. After
        // EPOLLRDHUP (or HUP/ERR) no edge is left to come, so keep reading until EOF or the error.
        if (n < capacity && !c.hangup) {
            c.readable = false;
        }
        readView.clear().limit(n);
        handler.onRead(c.handle, readView);
    }

    private void continueWrite(Connection c) {
        try {
            writeSome(c);
        } catch (IOException e) {
            fail(c, e);
            return;
        }
        if (!c.writing.hasRemaining()) {
            c.writing = null;
            markDirty(c); // drop EPOLLOUT: an edge-triggered writable socket would otherwise report each ACK
            delivered++;
            handler.onWritten(c.handle);
        }
    }

    /** Ends whatever is armed or unfinished on {@code c} with one onError: the connection is done for. */
    private void fail(Connection c, IOException error) {
        c.readArmed = false;
        c.readable = false;
        if (!c.queued) {
            c.writing = null;
            markDirty(c);
        }
        delivered++;
        handler.onError(c.handle, error);
    }

    private void deliverCompletions() {
        // Only what was queued before this turn: a handler that writes from onWritten again must
        // not keep this poll from ever reaching epoll_wait.
        Connection last = completedTail;
        while (completedHead != null && !closed) {
            Connection c = completedHead;
            completedHead = c.nextCompleted;
            if (completedHead == null) {
                completedTail = null;
            }
            c.nextCompleted = null;
            c.queued = false;
            if (!c.closed) {
                IOException error = c.writeError;
                c.writeError = null;
                c.writing = null;
                if (error != null) {
                    fail(c, error);
                } else {
                    delivered++;
                    handler.onWritten(c.handle);
                }
            }
            if (c == last) {
                break;
            }
        }
    }

    private void applyInterest() {
        Registration registration = dirtyHead;
        dirtyHead = null;
        while (registration != null) {
            Registration next = registration.nextDirty;
            registration.nextDirty = null;
            registration.dirty = false;
            if (!registration.closed && registration instanceof Connection c) {
                EpollIoOps wanted = c.writing != null && !c.queued ? CONNECTION_WRITE_OPS : CONNECTION_OPS;
                if (wanted != c.interest) {
                    try {
                        c.registration.submit(wanted);
                    } catch (UncheckedIOException e) {
                        fail(c, e.getCause()); // epoll_ctl refused this fd: only this connection is lost
                        registration = next;
                        continue;
                    }
                    c.interest = wanted;
                }
            }
            registration = next;
        }
    }

    // ------------------------------------------------------------------ helpers

    /**
     * Sends until everything is written or the socket buffer is full. Netty's native send passes no
     * {@code MSG_NOSIGNAL} (its flags argument is 0), so a write to a reset connection does raise
     * SIGPIPE; the JVM installs its own handler that ignores SIGPIPE, so the process survives and the
     * send fails with {@code EPIPE}, which arrives here as a NativeIoException and becomes onError.
     */
    private static void writeSome(Connection c) throws IOException {
        ByteBuffer src = c.writing;
        try {
            while (src.hasRemaining()) {
                int n = c.socket.send(src, src.position(), src.limit());
                if (n <= 0) {
                    return; // EAGAIN
                }
                src.position(src.position() + n);
            }
        } catch (RuntimeException e) {
            throw new IOException("send failed", e); // ENOTCONN surfaces as NotYetConnectedException
        }
    }

    private void register(Registration registration, EpollIoOps ops) throws IOException {
        Future<IoRegistration> registered = loop.register(registration); // completes at once on the loop thread
        if (!registered.isSuccess()) {
            Throwable cause = registered.cause();
            throw cause instanceof IOException io ? io : new IOException("epoll registration failed", cause);
        }
        registration.registration = registered.getNow();
        try {
            registration.registration.submit(ops); // the first submit is the EPOLL_CTL_ADD
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        registration.interest = ops;
    }

    private void queueCompletion(Connection c) {
        c.queued = true;
        if (completedTail == null) {
            completedHead = c;
        } else {
            completedTail.nextCompleted = c;
        }
        completedTail = c;
    }

    private void markReady(Registration registration) {
        if (!registration.ready) {
            registration.ready = true;
            if (readyTail == null) {
                readyHead = registration;
            } else {
                readyTail.nextReady = registration;
            }
            readyTail = registration;
        }
    }

    private void markDirty(Registration registration) {
        if (!registration.dirty) {
            registration.dirty = true;
            registration.nextDirty = dirtyHead;
            dirtyHead = registration;
        }
    }

    /** Takes the fd out of epoll before closing it, so that a reused fd number is never confused with it. */
    private void closeRegistration(Registration registration) {
        registration.closed = true;
        if (registration instanceof Connection c) {
            c.readArmed = false;
            c.writing = null;
            c.writeError = null;
        }
        if (registration.registration != null) {
            try {
                registration.registration.cancel();
            } catch (RuntimeException e) {
                LOG.atDebug().addKeyValue("handle", Handles.toString(registration.handle)).setCause(e).log("epoll_ctl DEL failed");
            }
        }
        try {
            registration.socket.close();
        } catch (IOException e) {
            LOG.atDebug().addKeyValue("handle", Handles.toString(registration.handle)).setCause(e).log("close failed");
        }
    }

    private Connection connection(int handle) {
        Registration registration = handles.get(handle);
        if (registration instanceof Connection c) {
            return c;
        }
        throw registration == null ? stale(handle) : new IllegalStateException("not a connection: " + Handles.toString(handle));
    }

    private Listener listener(int handle) {
        Registration registration = handles.get(handle);
        if (registration instanceof Listener l) {
            return l;
        }
        throw registration == null ? stale(handle) : new IllegalStateException("not a listener: " + Handles.toString(handle));
    }

    private IllegalStateException stale(int handle) {
        return new IllegalStateException((closed ? "backend closed; " : "") + "no open handle " + Handles.toString(handle));
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("backend closed");
        }
    }

    /** State of one handle; Netty reports its readiness through {@link #handle}. */
    private abstract class Registration implements EpollIoHandle {
        final Socket socket;
        IoRegistration registration;
        int handle = Handles.NONE;
        boolean closed;
        /** The interest set last submitted. */
        EpollIoOps interest;
        boolean ready;
        Registration nextReady;
        boolean dirty;
        Registration nextDirty;

        Registration(Socket socket) {
            this.socket = socket;
        }

        @Override
        public FileDescriptor fd() {
            return socket;
        }

        @Override
        public void handle(IoRegistration ioRegistration, IoEvent event) {
            onEvent(this, ((EpollIoEvent) event).ops().value());
        }

        /** Netty calls this only for handles still registered when the loop shuts down. */
        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private final class Listener extends Registration {
        boolean acceptArmed;

        Listener(Socket socket) {
            super(socket);
        }
    }

    private final class Connection extends Registration {
        boolean readArmed;
        /** Set by an EPOLLIN (or hang-up) edge, cleared once a recv found the receive queue empty. */
        boolean readable;
        /** EPOLLRDHUP, EPOLLHUP or EPOLLERR was seen: no further edge will come, so read to EOF or the error. */
        boolean hangup;
        /** An EPOLLOUT (or error) edge arrived since the last write attempt. */
        boolean writable;
        boolean eof;
        /** The caller's buffer from write() until onWritten/onError is delivered. */
        ByteBuffer writing;
        /** Set when a write failed inside write(); reported by the next poll. */
        IOException writeError;
        /** The write ended inside write() and waits in the completion queue to be reported. */
        boolean queued;
        Connection nextCompleted;

        Connection(Socket socket) {
            super(socket);
        }
    }
}
