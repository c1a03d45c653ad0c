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
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.NotYetConnectedException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Backend} on Linux epoll, edge-triggered, through Netty 4.2's {@link EpollIoHandler} on a
 * {@link ManualIoEventLoop} that the loop thread drives from {@link #poll}; no Netty channel,
 * pipeline or thread is involved. Each socket is an {@link EpollIoHandle} over a {@link LinuxSocket};
 * interest is changed with {@link IoRegistration#submit}.
 *
 * <p><b>Readiness model.</b> Every connection is registered once for
 * {@code EPOLLIN | EPOLLRDHUP | EPOLLET} and keeps that interest for life, so arming a receive costs
 * no {@code epoll_ctl}. An edge only sets flags ({@link Connection#readable}, {@link Connection#writable})
 * and queues the connection on the <em>work list</em> if an armed operation can now progress; the
 * syscalls and callbacks run after {@code ManualIoEventLoop.run} has returned, on this class's own
 * stack, so that an exception from the application is never swallowed by Netty's loop (which logs
 * it and sleeps a second). Because reads are one-shot, a connection can stay readable with no receive
 * armed; {@link #read} then queues it on the work list itself, since no new edge will come for bytes
 * that already wait. {@code poll} never blocks while the work list is not empty. {@code EPOLLOUT} is
 * asked for only while a write waits for socket space and dropped once it has drained.
 *
 * <p><b>No allocation per message.</b> One direct read buffer and one read-only view of it serve
 * every connection; the work list, write completions and interest changes are intrusive lists
 * threaded through the handles' own fields; the {@link EpollIoOps} this class submits are constants.
 * Netty's event path caches the {@link EpollIoEvent} of a lone {@code EPOLLIN} or {@code EPOLLOUT} but
 * allocates one for a combination (e.g. {@code EPOLLIN | EPOLLOUT} while a write stalls, or
 * {@code EPOLLIN | EPOLLRDHUP} once per half-close): rare, but not zero.
 *
 * <p><b>SIGPIPE.</b> Netty's {@code send} passes no {@code MSG_NOSIGNAL}; a write to a connection
 * the peer reset still fails with {@code EPIPE} instead of killing the process because HotSpot
 * installs its own SIGPIPE handler, which ignores the signal (see {@code EpollBackendTest}).
 */
final class EpollBackend implements Backend {

    static final String NAME = "epoll";

    private static final Logger LOG = LoggerFactory.getLogger(EpollBackend.class);

    /** Receives a connection may complete in one turn before others get theirs (fairness). */
    static final int READS_PER_TURN = 16;
    /** Connections a listener may accept in one turn before other handles get served. */
    static final int ACCEPTS_PER_TURN = 64;

    // Built once: EpollIoOps.with() allocates for any combination it does not cache.
    private static final EpollIoOps LISTENER_OPS = EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLET);
    private static final EpollIoOps CONNECTION_OPS = EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLRDHUP).with(EpollIoOps.EPOLLET);
    private static final EpollIoOps CONNECTION_WRITE_OPS = CONNECTION_OPS.with(EpollIoOps.EPOLLOUT);
    private static final int EPOLLIN = EpollIoOps.EPOLLIN.value();
    private static final int EPOLLOUT = EpollIoOps.EPOLLOUT.value();
    private static final int EPOLLRDHUP = EpollIoOps.EPOLLRDHUP.value();
    private static final int EPOLLERR = EpollIoOps.EPOLLERR.value();
    /** Not exposed by EpollIoOps; the kernel reports it whatever the interest (uapi/linux/eventpoll.h). */
    private static final int EPOLLHUP = 0x010;

    private final Thread owner;
    private final WakeableLoop loop;
    private final HandleTable<Registration> handles;
    private final ByteBuffer readBuffer;
    /** The handler's window onto {@link #readBuffer}; only its position and limit change per read. */
    private final ByteBuffer readView;
    /** Filled by accept(2) with the peer's address, which nothing here needs. */
    private final byte[] acceptedAddress = new byte[26];

    /** The handler of the {@code poll} in progress, {@code null} outside poll. */
    private Handler handler;
    private int delivered;
    /** The registration whose work is being done; read() on it needs no queueing. */
    private Registration servicing;
    /** Handles that may progress without a new edge (FIFO through {@link Registration#nextWork}). */
    private Registration workHead;
    private Registration workTail;
    /** Writes that ended inside {@code write()}, reported by poll (FIFO through {@link Connection#nextCompleted}). */
    private Connection completedHead;
    private Connection completedTail;
    /** Connections whose EPOLLOUT interest may be stale (a stack through {@link Connection#nextDirty}). */
    private Connection dirtyHead;
    private boolean closed;
    private long receiveCalls;

    EpollBackend(BackendConfig config) throws IOException {
        owner = Thread.currentThread();
        try {
            loop = new WakeableLoop(owner);
        } catch (RuntimeException e) {
            throw new IOException("cannot create the epoll loop: " + e.getMessage(), e);
        }
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
        if (address.isUnresolved()) {
            throw new IOException("cannot listen on unresolved address " + address);
        }
        LinuxSocket socket = newStreamSocket(address.getAddress() instanceof Inet6Address);
        Listener listener = new Listener(socket);
        int handle = Handles.NONE;
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
            release(listener);
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
            // After EMFILE or maxHandles the backlog still holds connections whose edge was consumed:
            // only a new connection would raise another, so try at once.
            if (l.acceptReady) {
                queueWork(l);
            }
        }
    }

    @Override
    public void read(int connection) {
        Connection c = connection(connection);
        // After end of stream there is nothing left to receive: onEof is delivered once.
        if (!c.readArmed && !c.eof) {
            c.readArmed = true;
            // Bytes left by an earlier one-shot receive raise no new edge: go and get them.
            if (c.readable && servicing != c) {
                queueWork(c);
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
        // onWritten is still delivered by poll, never from inside this call.
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
            release(registration);
        }
    }

    @Override
    public int poll(long timeoutNanos, Handler pollHandler) throws IOException {
        ensureOpen();
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("poll called on " + Thread.currentThread() + ", not on the loop thread " + owner);
        }
        if (handler != null) {
            throw new IllegalStateException("poll called from inside a callback");
        }
        handler = pollHandler;
        delivered = 0;
        try {
            applyInterest();
            if (closed) {
                return delivered;
            }
            boolean work = delivered > 0 || workHead != null || completedHead != null;
            waitForEdges(work ? NO_WAIT : timeoutNanos);
            doWork();
            deliverCompletions();
        } finally {
            handler = null;
        }
        return delivered;
    }

    @Override
    public void wakeup() {
        loop.requestWakeup();
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
                release(registration);
            }
        }
        workHead = workTail = null;
        completedHead = completedTail = null;
        dirtyHead = null;
        shutDownLoop();
    }

    // Package-private for testing: recv(2) calls made so far, to show which reads the backend skips.
    long receiveCalls() {
        return receiveCalls;
    }

    // ------------------------------------------------------------------ inside poll

    /**
     * Runs the Netty loop once, which collects edges into the work list. {@code run(0)} blocks
     * forever and a negative value does not block; a positive timeout is exact to the nanosecond
     * with {@code epoll_pwait2} (Linux 5.11+), but Netty falls back to millisecond
     * {@code epoll_wait}, truncating, on older kernels: waiting again for what is left keeps a
     * timer deadline from ever being reached early.
     */
    private void waitForEdges(long timeoutNanos) {
        if (timeoutNanos == NO_WAIT) {
            loop.run(-1);
            loop.clearWakeup();
            return;
        }
        if (timeoutNanos < 0) {
            loop.run(0);
            loop.clearWakeup();
            return;
        }
        long deadline = System.nanoTime() + timeoutNanos;
        long remaining = timeoutNanos;
        while (true) {
            int events = loop.run(remaining);
            boolean woken = loop.clearWakeup();
            if (events > 0 || woken || workHead != null) {
                return;
            }
            remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                return;
            }
        }
    }

    /** Serves the handles on the work list when this turn began; those queued meanwhile wait a turn. */
    private void doWork() {
        Registration last = workTail;
        while (workHead != null && !closed) {
            Registration r = workHead;
            workHead = r.nextWork;
            if (workHead == null) {
                workTail = null;
            }
            r.nextWork = null;
            r.queued = false;
            if (!r.closed) {
                servicing = r;
                try {
                    r.serve();
                } finally {
                    servicing = null;
                }
            }
            if (r == last) {
                break;
            }
        }
    }

    private void serve(Listener l) {
        for (int accepted = 0; accepted < ACCEPTS_PER_TURN; accepted++) {
            if (closed || l.closed || !l.acceptArmed || !l.acceptReady) {
                return;
            }
            int fd;
            try {
                fd = l.socket.accept(acceptedAddress);
            } catch (IOException e) {
                stopAccepting(l, e); // EMFILE and the like: the application decides when to retry
                return;
            }
            if (fd < 0) {
                l.acceptReady = false; // EAGAIN: the next connection raises a new edge
                return;
            }
            acceptOne(l, fd);
        }
        if (!closed && !l.closed && l.acceptArmed && l.acceptReady) {
            queueWork(l);
        }
    }

    private void acceptOne(Listener l, int fd) {
        Connection c = new Connection(LinuxSocket.newSocket(fd));
        int handle = handles.add(c);
        if (handle == Handles.NONE) {
            release(c);
            stopAccepting(l, new IOException("connection closed: all " + handles.capacity() + " handles (maxHandles) are in use"));
            return;
        }
        c.handle = handle;
        try {
            c.socket.setTcpNoDelay(true);
        } catch (IOException e) {
            // The peer is typically gone already; that is its connection's problem, not the listener's.
            LOG.atDebug().addKeyValue("listener", Handles.toString(l.handle)).setCause(e)
                    .log("dropping a connection that could not be set up");
            handles.remove(handle);
            release(c);
            return;
        }
        try {
            // EPOLL_CTL_ADD reports what is already ready, so bytes sent before this raise the first edge.
            register(c, CONNECTION_OPS);
        } catch (IOException | RuntimeException e) {
            handles.remove(handle);
            release(c);
            stopAccepting(l, e instanceof IOException io ? io : new IOException("epoll_ctl failed for an accepted connection", e));
            return;
        }
        delivered++;
        handler.onAccept(l.handle, handle);
    }

    private void stopAccepting(Listener l, IOException error) {
        l.acceptArmed = false;
        delivered++;
        handler.onAcceptError(l.handle, error);
    }

    private void serve(Connection c) {
        if (c.writable && c.writing != null && !c.completionQueued) {
            continueWrite(c);
        }
        for (int reads = 0; reads < READS_PER_TURN; reads++) {
            if (closed || c.closed || !c.readArmed || !c.readable) {
                return;
            }
            receive(c);
        }
        if (!closed && !c.closed && c.readArmed && c.readable) {
            queueWork(c); // fairness: the rest next turn, which will not block
        }
    }

    private void receive(Connection c) {
        receiveCalls++;
        int n;
        try {
            n = c.socket.recv(readBuffer, 0, readBuffer.capacity());
        } catch (IOException e) {
            fail(c, e);
            return;
        } catch (NotYetConnectedException e) {
            fail(c, new IOException("recv failed: ENOTCONN", e));
            return;
        }
        if (n == 0) {
            c.readable = false; // EAGAIN: the next bytes raise a new edge
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
        // A stream socket's recv returns less than asked only when it emptied the receive queue, and
        // under EPOLLET every byte that arrives after that raises a new edge: the short read is as good
        // as reading on to EAGAIN, minus one recv per message. Not once the peer has shut down its
        // side (EPOLLRDHUP/EPOLLHUP): its FIN raised no edge of its own, so read on to end of stream.
        if (n < readBuffer.capacity() && !c.peerShutdown) {
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
            markDirty(c);
            delivered++;
            handler.onWritten(c.handle);
        }
    }

    /** Ends whatever is armed or unfinished on {@code c} with one onError: the connection is done for. */
    private void fail(Connection c, IOException error) {
        c.readArmed = false;
        if (!c.completionQueued) {
            c.writing = null;
        }
        markDirty(c);
        delivered++;
        handler.onError(c.handle, error);
    }

    private void deliverCompletions() {
        // Only what was queued before: a handler that writes again from onWritten must not keep this
        // poll from returning; the rest is delivered by the next poll, which then does not block.
        Connection last = completedTail;
        while (completedHead != null && !closed) {
            Connection c = completedHead;
            completedHead = c.nextCompleted;
            if (completedHead == null) {
                completedTail = null;
            }
            c.nextCompleted = null;
            c.completionQueued = false;
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

    /** Adds or drops EPOLLOUT where a write started stalling or finished since the last turn. */
    private void applyInterest() {
        Connection c = dirtyHead;
        dirtyHead = null;
        while (c != null) {
            Connection next = c.nextDirty;
            c.nextDirty = null;
            c.dirty = false;
            if (!c.closed) {
                EpollIoOps wanted = c.writing != null && !c.completionQueued ? CONNECTION_WRITE_OPS : CONNECTION_OPS;
                if (wanted != c.ops) {
                    try {
                        submit(c, wanted);
                    } catch (IOException e) {
                        fail(c, e);
                    }
                }
            }
            c = next;
        }
    }

    // ------------------------------------------------------------------ helpers

    private static void writeSome(Connection c) throws IOException {
        ByteBuffer src = c.writing;
        int position = src.position();
        int limit = src.limit();
        while (position < limit) {
            int n;
            try {
                n = c.socket.send(src, position, limit);
            } catch (NotYetConnectedException e) {
                throw new IOException("send failed: ENOTCONN", e);
            }
            if (n == 0) {
                c.writable = false; // EAGAIN: EPOLLOUT reports the room
                break;
            }
            position += n;
        }
        src.position(position);
    }

    private void register(Registration r, EpollIoOps ops) throws IOException {
        Future<IoRegistration> registered = loop.register(r);
        if (!registered.isSuccess()) {
            throw new IOException("cannot register with epoll: " + registered.cause(), registered.cause());
        }
        r.registration = registered.getNow();
        submit(r, ops);
    }

    private static void submit(Registration r, EpollIoOps ops) throws IOException {
        try {
            r.registration.submit(ops); // the first submit is EPOLL_CTL_ADD, later ones EPOLL_CTL_MOD
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        r.ops = ops;
    }

    /** Closes the socket and forgets the registration; no callback for it follows. */
    private static void release(Registration r) {
        r.closed = true;
        if (r instanceof Connection c) {
            c.readArmed = false;
            c.writing = null;
            c.writeError = null;
        }
        // close(2) first: the last reference to the socket leaves the epoll set by itself, so the
        // cancel below finds the fd closed and skips its EPOLL_CTL_DEL. The peer sees FIN (or RST
        // if unread bytes remain).
        try {
            r.socket.close();
        } catch (IOException e) {
            LOG.atDebug().addKeyValue("handle", Handles.toString(r.handle)).setCause(e).log("close failed");
        }
        if (r.registration != null) {
            r.registration.cancel();
        }
    }

    private void queueWork(Registration r) {
        if (r.queued) {
            return;
        }
        r.queued = true;
        if (workTail == null) {
            workHead = r;
        } else {
            workTail.nextWork = r;
        }
        workTail = r;
    }

    private void queueCompletion(Connection c) {
        c.completionQueued = true;
        if (completedTail == null) {
            completedHead = c;
        } else {
            completedTail.nextCompleted = c;
        }
        completedTail = c;
    }

    private void markDirty(Connection c) {
        if (!c.dirty) {
            c.dirty = true;
            c.nextDirty = dirtyHead;
            dirtyHead = c;
        }
    }

    private void shutDownLoop() {
        loop.shutdownGracefully(0, 0, TimeUnit.NANOSECONDS);
        // Termination runs on the owner thread: it closes the epoll, event and timer descriptors.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!loop.isTerminated() && System.nanoTime() < deadline) {
            loop.runNow();
        }
        if (!loop.isTerminated()) {
            LOG.atWarn().log("the epoll loop did not terminate; its descriptors may leak");
        }
    }

    private static LinuxSocket newStreamSocket(boolean ipv6) throws IOException {
        try {
            return LinuxSocket.newSocketStream(ipv6);
        } catch (RuntimeException e) {
            // ChannelException wrapping the errno, e.g. EMFILE
            throw e.getCause() instanceof IOException io ? io : new IOException("socket() failed", e);
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

    /**
     * A ManualIoEventLoop whose {@code run} does not block while a {@link #wakeup()} is pending.
     * Netty's own {@code wakeup()} only writes the eventfd while the loop sleeps in epoll_wait, so a
     * wakeup that comes before (or between) polls would be lost. The flag is written before
     * {@code wakeup()}'s atomic exchange, and Netty reads it in {@link #canBlock()} after publishing
     * that it is about to sleep: either the loop sees the flag, or the waker sees the sleeper and
     * writes the eventfd.
     */
    private static final class WakeableLoop extends ManualIoEventLoop {
        private volatile boolean wakeupRequested;

        WakeableLoop(Thread owner) {
            super(owner, EpollIoHandler.newFactory());
        }

        void requestWakeup() {
            wakeupRequested = true;
            wakeup(); // Netty skips the eventfd on the owner thread; the flag covers that case
        }

        /** Consumes a pending wakeup; returns whether there was one. */
        boolean clearWakeup() {
            if (wakeupRequested) {
                wakeupRequested = false;
                return true;
            }
            return false;
        }

        @Override
        protected boolean canBlock() {
            return !wakeupRequested;
        }
    }

    /** State of one handle; its edges arrive in {@link #handle} during {@code ManualIoEventLoop.run}. */
    private abstract class Registration implements EpollIoHandle {
        final LinuxSocket socket;
        int handle = Handles.NONE;
        IoRegistration registration;
        /** The interest last submitted. */
        EpollIoOps ops;
        boolean closed;
        boolean queued;
        Registration nextWork;

        Registration(LinuxSocket socket) {
            this.socket = socket;
        }

        @Override
        public FileDescriptor fd() {
            return socket;
        }

        @Override
        public void handle(IoRegistration ioRegistration, IoEvent event) {
            if (!closed) {
                ready(((EpollIoEvent) event).ops().value());
            }
        }

        /** Records an edge; queues this handle if an armed operation can now progress. Must not call back. */
        abstract void ready(int events);

        abstract void serve();

        @Override
        public void close() throws IOException {
            // Netty calls this only for registrations still open when the loop is destroyed.
            socket.close();
        }
    }

    private final class Listener extends Registration {
        boolean acceptArmed;
        /** Connections may wait in the backlog: set by an edge, cleared when accept(2) says EAGAIN. */
        boolean acceptReady;

        Listener(LinuxSocket socket) {
            super(socket);
        }

        @Override
        void ready(int events) {
            acceptReady = true;
            if (acceptArmed) {
                queueWork(this);
            }
        }

        @Override
        void serve() {
            EpollBackend.this.serve(this);
        }
    }

    private final class Connection extends Registration {
        boolean readArmed;
        /** Bytes (or EOF, or an error) may wait: set by an edge, cleared by EAGAIN or a short read. */
        boolean readable;
        /** EPOLLRDHUP/EPOLLHUP was seen: a short read no longer means a new edge will follow. */
        boolean peerShutdown;
        boolean eof;
        /** Cleared by EAGAIN on send, set by an EPOLLOUT (or error) edge. */
        boolean writable = true;
        /** The caller's buffer from write() until onWritten/onError is delivered. */
        ByteBuffer writing;
        /** Set when a write failed inside write(); reported by the next poll. */
        IOException writeError;
        /** The write ended inside write() and waits in the completion queue to be reported. */
        boolean completionQueued;
        Connection nextCompleted;
        boolean dirty;
        Connection nextDirty;

        Connection(LinuxSocket socket) {
            super(socket);
        }

        @Override
        void ready(int events) {
            if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
                readable = true;
            }
            if ((events & (EPOLLRDHUP | EPOLLHUP)) != 0) {
                peerShutdown = true;
            }
            if ((events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0) {
                writable = true;
            }
            if ((readArmed && readable) || (writable && writing != null && !completionQueued)) {
                queueWork(this);
            }
        }

        @Override
        void serve() {
            EpollBackend.this.serve(this);
        }
    }
}
