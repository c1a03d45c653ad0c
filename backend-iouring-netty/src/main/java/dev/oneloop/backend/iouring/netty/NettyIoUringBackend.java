package dev.oneloop.backend.iouring.netty;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.BackendException;
import dev.oneloop.backend.ErrorKind;
import dev.oneloop.backend.Handles;
import dev.oneloop.backend.internal.CompletionBackend;
import dev.oneloop.backend.internal.Contract;
import dev.oneloop.backend.internal.FdQueue;
import dev.oneloop.backend.internal.HandleState;
import dev.oneloop.backend.internal.PendingWrite;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.ManualIoEventLoop;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoEvent;
import io.netty.channel.uring.IoUringIoHandle;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringIoHandlerConfig;
import io.netty.channel.uring.IoUringIoOps;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.Socket;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The completion model on io_uring: Netty's {@link IoUringIoHandler} on a {@link ManualIoEventLoop}
 * that only the loop thread runs, fed with raw {@link IoUringIoOps}.
 *
 * <p>Operations started by the application (multishot ACCEPT, RECV into a buffer owned by the
 * connection's slot, SENDMSG from the caller's buffer, ASYNC_CANCEL on close) only enqueue
 * submissions. {@link #poll} runs the loop once: Netty's handler submits everything queued since the
 * last turn and waits in the same {@code io_uring_enter}. Completions are only <em>recorded</em>
 * while the loop runs and become callbacks after it returns, so that what the callbacks submit waits
 * for the next turn's single {@code io_uring_enter} instead of costing an extra one inside this turn.
 *
 * <p>Closing retires the handle at once; the slot (with its RECV buffer) and the file descriptor
 * are released only in {@link Endpoint#unregistered()}, after the kernel has posted the last
 * completion that could touch them.
 *
 * <p><b>The contract here.</b> The loop thread is the one that constructed the backend (and the
 * {@code ManualIoEventLoop}'s owner); each method but {@link #wakeup()} and {@link #name()} first
 * compares {@code Thread.currentThread()} with it ({@link Contract#checkThread}). {@code wakeup()}
 * from another thread is Netty's (an eventfd write); from the loop thread, which Netty ignores, it
 * makes the next {@code poll} not block. {@code poll}'s timeouts are translated for
 * {@code ManualIoEventLoop.run}, where {@code 0} blocks forever and a negative value does not block.
 * A negative CQE result (ACCEPT, RECV, SENDMSG) becomes {@link BackendException#ofErrno} with that
 * errno (SENDMSG is reported as {@code "send"}); EAGAIN, EINTR, ENOBUFS and ECANCELED are handled
 * inside. A failure of Netty's own calls in {@code listen} ({@code socket}, {@code setsockopt},
 * {@code bind}, {@code listen}) is typed by the {@link Errors.NativeIoException#expectedErr() errno}
 * it carries, else by its message. {@code listen} opens an {@code AF_INET} socket for an IPv4
 * address and an {@code AF_INET6} one for an IPv6 address ({@link Contract#ipv6}), not Netty's
 * default (IPv6 whenever available). A closed handle keeps its slot until Netty unregisters it, so
 * {@code maxHandles} counts those slots too.
 */
final class NettyIoUringBackend extends CompletionBackend<NettyIoUringBackend.Endpoint, NettyIoUringBackend.Listener, NettyIoUringBackend.Connection> {

    private static final Logger LOG = LoggerFactory.getLogger(NettyIoUringBackend.class);

    private static final int MAX_SQ_ENTRIES = 4096;
    private static final int MAX_CQ_ENTRIES = 65536;
    private static final long CLOSE_DRAIN_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final ManualIoEventLoop loop;
    private final SlotMemory slotMemory;
    private final Completions completions = new Completions(256);
    /** Endpoints registered with the ring and not yet unregistered (their fd is still open). */
    private int registered;
    private boolean wakeupRequested;

    NettyIoUringBackend(BackendConfig config) throws IOException {
        super(config.maxHandles(), Listener.class, Connection.class);
        slotMemory = new SlotMemory(config.maxHandles(), config.readBufferSize());
        IoUringIoHandlerConfig ringConfig = ringConfig(config.maxHandles());
        try {
            loop = new ManualIoEventLoop(loopThread, IoUringIoHandler.newFactory(ringConfig));
            // The first run enables the ring (it is created disabled, for SINGLE_ISSUER): fail here, not in poll.
            loop.runNow();
        } catch (RuntimeException e) {
            Throwable cause = NettyIoUringBackendProvider.explain(e);
            throw cause instanceof IOException io ? io
                    : new IOException("cannot set up an io_uring ring of " + ringConfig.getRingSize() + " entries", e);
        }
        LOG.atDebug().addKeyValue("sqEntries", ringConfig.getRingSize()).addKeyValue("cqEntries", ringConfig.getCqSize())
                .addKeyValue("maxHandles", config.maxHandles()).addKeyValue("bytesPerSlot", slotMemory.blockSize())
                .log("io_uring backend opened");
    }

    /**
     * One submission per connection and turn is the common case (RECV or SENDMSG; a close adds
     * cancels), so the SQ covers every handle up to a cap; beyond it Netty submits early when the
     * SQ fills. The CQ holds two completions per handle (a RECV and a SENDMSG in flight).
     */
    private static IoUringIoHandlerConfig ringConfig(int maxHandles) {
        int sq = Math.min(MAX_SQ_ENTRIES, Math.max(64, Integer.highestOneBit(Math.max(1, maxHandles - 1)) << 1));
        IoUringIoHandlerConfig config = new IoUringIoHandlerConfig().setRingSize(sq);
        if (config.getCqSize() > 0) { // a positive default means IORING_SETUP_CQSIZE is supported
            long wanted = Math.max(2L * sq, Long.highestOneBit(Math.max(1, 2L * maxHandles - 1)) << 1);
            config.setCqSize((int) Math.min(MAX_CQ_ENTRIES, wanted));
        }
        return config;
    }

    @Override
    public String name() {
        return NettyIoUringBackendProvider.NAME;
    }

    @Override
    protected int bind(InetSocketAddress address, boolean ipv6, int backlog) throws IOException {
        Socket socket;
        try {
            socket = StreamSockets.open(ipv6);
        } catch (RuntimeException e) { // Netty wraps the socket(2) failure in a ChannelException
            if (e.getCause() instanceof IOException io) {
                throw typed("socket", io);
            }
            throw BackendException.of("socket failed: " + e, ErrorKind.OTHER, 0, e);
        }
        Listener listener = new Listener(socket);
        String step = "setsockopt";
        try {
            socket.setReuseAddress(true);
            step = "bind";
            socket.bind(address);
            step = "listen";
            socket.listen(backlog);
            listener.handle = endpoints.add(listener);
            if (listener.handle == Handles.NONE) {
                // Every slot is live or retired, waiting for Netty to unregister a closed handle.
                throw BackendException.outOfHandles("cannot listen on " + address, endpoints.capacity());
            }
            step = "register";
            register(listener);
        } catch (IOException | RuntimeException e) {
            if (listener.handle != Handles.NONE) {
                endpoints.remove(listener.handle);
            }
            closeQuietly(socket);
            if (e instanceof IOException io) {
                throw typed(step, io);
            }
            throw e;
        }
        return listener.handle;
    }

    /**
     * A failure of Netty's native code, typed: the errno of a {@link Errors.NativeIoException} when
     * it has one, else what the message says ({@link BackendException#of(String, IOException)}).
     */
    static BackendException typed(String operation, IOException e) {
        if (e instanceof Errors.NativeIoException n && n.expectedErr() < 0) {
            return BackendException.ofErrno(operation, n.expectedErr(), e); // Netty's as the cause
        }
        return BackendException.of(operation, e);
    }

    @Override
    protected InetSocketAddress localAddress(Endpoint endpoint) throws IOException {
        InetSocketAddress address = endpoint.socket.localAddress();
        if (address == null) { // Netty's getsockname returns no errno, only null
            throw BackendException.of("getsockname failed for " + Handles.toString(endpoint.handle), ErrorKind.OTHER, 0, null);
        }
        return address;
    }

    @Override
    protected void armAccept(Listener l) {
        if (l.armed) {
            return;
        }
        l.armed = true;
        // Connections the kernel accepted after the last disarm are handed out first, as a backlog would be.
        for (int i = 0; i < l.parked.size(); i++) {
            completions.add(l, Uapi.IORING_OP_ACCEPT, l.parked.get(i), Uapi.IORING_CQE_F_MORE);
        }
        l.parked.clear();
        if (l.acceptId == 0) {
            submitAccept(l);
        }
    }

    @Override
    protected void armRead(Connection c) {
        if (c.readArmed || c.eof) {
            return;
        }
        c.readArmed = true;
        submitRecv(c);
    }

    @Override
    protected void closeEndpoint(int handle, Endpoint endpoint) {
        if (endpoint instanceof Listener l) {
            l.armed = false;
            cancel(l, l.acceptId);
            for (int i = 0; i < l.parked.size(); i++) {
                closeFd(l.parked.get(i));
            }
            l.parked.clear();
        } else {
            Connection c = (Connection) endpoint;
            cancel(c, c.recvId);
            if (c.sendId != 0) {
                // The caller may reuse its buffer once close returns. A SENDMSG still waiting in the SQ
                // reads the iovec when it is submitted: emptied, it sends nothing. One already in the
                // kernel waits for socket space and is cancelled by the next io_uring_enter before its
                // task work can run again (DEFER_TASKRUN). write(c) keeps the buffer referenced until it completes.
                slotMemory.setIovec(Handles.slot(c.handle), 0, 0);
                cancel(c, c.sendId);
            }
        }
        // Unregisters now if nothing is in flight, else after the last completion (then the fd is closed).
        endpoint.registration.cancel();
    }

    @Override
    protected int doPoll(long timeoutNanos, Handler handler) throws IOException {
        long waitNanos;
        if (completions.isEmpty() && !wakeupRequested) {
            // ManualIoEventLoop: 0 blocks forever, negative does not block.
            waitNanos = timeoutNanos < 0 ? 0 : timeoutNanos == 0 ? -1 : timeoutNanos;
        } else {
            waitNanos = -1;
        }
        wakeupRequested = false;
        runLoop(waitNanos);
        return deliver(handler);
    }

    private void runLoop(long waitNanos) throws IOException {
        try {
            loop.run(waitNanos);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    @Override
    public void wakeup() {
        if (Thread.currentThread() == loopThread) {
            // Netty ignores a wakeup from the loop's own thread; the next poll must still not block.
            wakeupRequested = true;
        } else {
            loop.wakeup();
        }
    }

    @Override
    protected void shutDown() {
        completions.clear();
        long deadline = System.nanoTime() + CLOSE_DRAIN_NANOS;
        try {
            while (registered > 0 && deadline - System.nanoTime() > 0) {
                loop.run(Math.max(1, Math.min(TimeUnit.MILLISECONDS.toNanos(10), deadline - System.nanoTime())));
            }
        } catch (RuntimeException e) {
            LOG.atWarn().setCause(e).log("io_uring loop failed while draining on close");
        }
        if (registered > 0) {
            LOG.atWarn().addKeyValue("endpoints", registered).log("operations still in flight after close; the ring's teardown cancels them");
        }
        closed = true;
        loop.shutdownGracefully(0, 0, TimeUnit.NANOSECONDS);
        for (int i = 0; i < 100 && !loop.isTerminated(); i++) {
            loop.run(-1);
        }
        for (int slot = 0; slot < endpoints.capacity(); slot++) {
            Endpoint endpoint = endpoints.atSlot(slot);
            if (endpoint != null) {
                closeQuietly(endpoint.socket);
            }
        }
        completions.clear();
        forgetWriteAddresses();
    }

    // ---- submissions ----

    private void submitAccept(Listener l) {
        if (l.acceptOps == null) {
            // Before Linux 5.19 (or with -Dio.netty.iouring.acceptMultiShotEnabled=false) each ACCEPT
            // completes once and is re-armed on delivery, like a multishot that ended without an error.
            short ioPrio = IoUring.isAcceptMultishotEnabled() ? Uapi.IORING_ACCEPT_MULTISHOT : 0;
            l.acceptOps = new IoUringIoOps(Uapi.IORING_OP_ACCEPT, (byte) 0, ioPrio, l.fd, 0L, 0L, 0, Uapi.SOCK_CLOEXEC,
                    l.tag, (short) 0, (short) 0, 0, 0L);
        }
        l.acceptId = l.registration.submit(l.acceptOps);
    }

    private void submitRecv(Connection c) {
        if (c.recvOps == null) {
            int slot = Handles.slot(c.handle);
            c.recvOps = new IoUringIoOps(Uapi.IORING_OP_RECV, (byte) 0, (short) 0, c.fd, 0L,
                    slotMemory.readBufferAddress(slot), slotMemory.readBufferSize(), 0, c.tag,
                    (short) 0, (short) 0, 0, 0L);
        }
        c.recvId = c.registration.submit(c.recvOps);
    }

    /**
     * Sends what remains of the connection's write buffer: the whole of it, or the rest after a
     * short send. SENDMSG rather than SEND: its submission names only the slot's msghdr, so one
     * immutable {@link IoUringIoOps} serves every write of the connection, where SEND (address and
     * length in the SQE) would need a new one per write.
     */
    @Override
    protected void submitSend(Connection c) {
        int slot = Handles.slot(c.handle);
        if (c.sendOps == null) {
            c.sendOps = new IoUringIoOps(Uapi.IORING_OP_SENDMSG, (byte) 0, (short) 0, c.fd, 0L,
                    slotMemory.msghdrAddress(slot), 1, Uapi.MSG_NOSIGNAL, c.tag, (short) 0, (short) 0, 0, 0L);
        }
        PendingWrite write = write(c);
        slotMemory.setIovec(slot, write.address(), write.remaining());
        c.sendId = c.registration.submit(c.sendOps);
    }

    private static void cancel(Endpoint endpoint, long userData) {
        if (userData != 0) {
            endpoint.registration.submit(new IoUringIoOps(Uapi.IORING_OP_ASYNC_CANCEL, (byte) 0, (short) 0, -1, 0L,
                    userData, 0, 0, endpoint.tag, (short) 0, (short) 0, 0, 0L));
        }
    }

    // ---- completions: recorded inside loop.run, delivered after it ----

    /** Called by Netty inside {@code loop.run}: keeps the kernel-side bookkeeping exact, defers everything else. */
    private void completed(Endpoint endpoint, byte op, int res, int flags, long userData) {
        if (userData != endpoint.tag) {
            LOG.atDebug().addKeyValue("op", op).addKeyValue("res", res).log("completion with a foreign tag dropped");
            return;
        }
        switch (op) {
            case Uapi.IORING_OP_ACCEPT -> {
                Listener l = (Listener) endpoint;
                if ((flags & Uapi.IORING_CQE_F_MORE) == 0) {
                    l.acceptId = 0;
                }
                if (l.closed) {
                    if (res >= 0) {
                        closeFd(res);
                    }
                    return;
                }
            }
            case Uapi.IORING_OP_RECV -> {
                ((Connection) endpoint).recvId = 0;
                if (endpoint.closed) {
                    return;
                }
            }
            case Uapi.IORING_OP_SENDMSG -> {
                Connection c = (Connection) endpoint;
                c.sendId = 0;
                if (c.closed) {
                    write(c).end(); // the kernel is done with it
                    return;
                }
            }
            default -> {
                return; // ASYNC_CANCEL results: the cancelled operation reports itself
            }
        }
        completions.add(endpoint, op, res, flags);
    }

    private int deliver(Handler handler) {
        int callbacks = 0;
        // Records added by callbacks (re-armed accepts) wait for the next poll, so one poll always ends.
        int end = completions.size();
        while (!closed && completions.next() < end) {
            int i = completions.take();
            Endpoint endpoint = completions.endpoint(i);
            int res = completions.result(i);
            int flags = completions.flags(i);
            byte op = completions.op(i);
            completions.forget(i);
            if (op == Uapi.IORING_OP_ACCEPT) {
                callbacks += deliverAccept((Listener) endpoint, res, flags, handler);
            } else if (!endpoint.closed) {
                Connection c = (Connection) endpoint;
                callbacks += op == Uapi.IORING_OP_RECV ? deliverRecv(c, res, handler) : sendCompleted(c, res, handler);
            }
        }
        if (!closed) { // a callback may have closed the whole backend
            completions.compact();
        }
        return callbacks;
    }

    private int deliverAccept(Listener l, int res, int flags, Handler handler) {
        int callbacks = 0;
        if (l.closed) {
            if (res >= 0) {
                closeFd(res);
            }
            return 0;
        }
        if (res >= 0) {
            if (!l.armed) {
                l.parked.add(res);
            } else {
                callbacks += acceptConnection(l, res, handler);
            }
        } else if (res != -Uapi.ECANCELED && (flags & Uapi.IORING_CQE_F_MORE) == 0) {
            if (!l.armed) {
                // Acceptance already stopped: this is an ACCEPT resubmitted (after a connection of the
                // same turn) before the turn's first error was delivered. One error per stop.
                return 0;
            }
            // The ended ACCEPT cleared acceptId when it was recorded: a non-zero one is an ACCEPT
            // resubmitted since, by a connection delivered before this error. It goes too.
            disarm(l);
            handler.onAcceptError(l.handle, BackendException.ofErrno("accept", res));
            return 1;
        }
        // A multishot accept can also end without an error (e.g. the CQ overflowed): keep accepting.
        if (l.armed && !l.closed && l.acceptId == 0) {
            submitAccept(l);
        }
        return callbacks;
    }

    private int acceptConnection(Listener l, int fd, Handler handler) {
        Connection c = new Connection(new Socket(fd));
        c.handle = endpoints.add(c);
        if (c.handle == Handles.NONE) {
            closeQuietly(c.socket);
            disarm(l);
            handler.onAcceptError(l.handle, BackendException.outOfHandles("connection closed", endpoints.capacity()));
            return 1;
        }
        try {
            c.socket.setTcpNoDelay(true);
            register(c);
        } catch (IOException | RuntimeException e) {
            // The peer may already be gone (setsockopt on a reset socket): drop just this connection.
            LOG.atDebug().addKeyValue("fd", fd).setCause(e).log("accepted connection dropped");
            endpoints.remove(c.handle);
            closeQuietly(c.socket);
            return 0;
        }
        handler.onAccept(l.handle, c.handle);
        return 1;
    }

    private void disarm(Listener l) {
        l.armed = false;
        cancel(l, l.acceptId);
    }

    private int deliverRecv(Connection c, int res, Handler handler) {
        if (res > 0) {
            c.readArmed = false;
            handler.onRead(c.handle, slotMemory.received(Handles.slot(c.handle), res));
        } else if (res == 0) {
            c.readArmed = false;
            c.eof = true;
            handler.onEof(c.handle);
        } else if (res == -Uapi.EAGAIN || res == -Uapi.EINTR || res == -Uapi.ENOBUFS) {
            submitRecv(c);
            return 0;
        } else {
            c.readArmed = false;
            handler.onError(c.handle, BackendException.ofErrno("recv", res));
        }
        return 1;
    }

    // ---- registration ----

    private void register(Endpoint endpoint) throws IOException {
        Future<IoRegistration> registration = loop.register(endpoint);
        // On the loop thread registration completes synchronously.
        if (!registration.isSuccess()) {
            throw new IOException("cannot register with the io_uring loop", registration.cause());
        }
        endpoint.registration = registration.getNow();
        registered++;
    }

    /** Netty's last word on an endpoint: no completion can follow, the fd and the slot can go. */
    private void unregistered(Endpoint endpoint) {
        registered--;
        closeQuietly(endpoint.socket);
        if (endpoint.handle != Handles.NONE && endpoints.atSlot(Handles.slot(endpoint.handle)) == endpoint) {
            endpoints.release(Handles.slot(endpoint.handle));
        }
    }

    // ---- helpers ----


    private static void closeFd(int fd) {
        closeQuietly(new Socket(fd));
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            LOG.atDebug().addKeyValue("fd", socket.intValue()).setCause(e).log("close failed");
        }
    }

    // ---- per-handle state ----

    /** A socket registered with the ring; Netty routes its completions here by registration id. */
    abstract class Endpoint extends HandleState implements IoUringIoHandle {
        final Socket socket;
        final int fd;
        /** Sent as each submission's user data and checked on each completion: the handle's generation. */
        long tag;
        IoRegistration registration;

        Endpoint(Socket socket) {
            this.socket = socket;
            this.fd = socket.intValue();
        }

        @Override
        public final void handle(IoRegistration registration, IoEvent event) {
            IoUringIoEvent e = (IoUringIoEvent) event;
            completed(this, e.opcode(), e.res(), e.flags(), e.userData());
        }

        @Override
        public final void registered() {
            tag = Handles.generation(handle);
        }

        @Override
        public final void unregistered() {
            NettyIoUringBackend.this.unregistered(this);
        }

        /** Netty closes what is still registered when the loop shuts down. */
        @Override
        public final void close() {
            if (!closed) {
                endpoints.retire(handle);
                closed = true;
                closeEndpoint(handle, this);
            }
        }
    }

    final class Listener extends Endpoint {
        IoUringIoOps acceptOps;
        boolean armed;
        /** User data of the multishot ACCEPT in flight, or 0. */
        long acceptId;
        /** Connections accepted by the kernel while acceptance was being disarmed. */
        final FdQueue parked = new FdQueue();

        Listener(Socket socket) {
            super(socket);
        }
    }

    final class Connection extends Endpoint {
        IoUringIoOps recvOps;
        IoUringIoOps sendOps;
        boolean readArmed;
        boolean eof;
        /** User data of the RECV / SENDMSG in flight, or 0; kept to cancel them. */
        long recvId;
        long sendId;

        Connection(Socket socket) {
            super(socket);
        }
    }

    /**
     * Opens a TCP socket of the family asked for: {@link Socket#newSocketStream()} picks IPv6
     * whenever the system has it, and an IPv4 address bound on it would then be {@code ::ffff:a.b.c.d}
     * (for {@code 0.0.0.0}: every IPv6 address too). The family-specific factory is protected.
     */
    static final class StreamSockets extends Socket {
        private StreamSockets() {
            super(-1); // never instantiated
        }

        static Socket open(boolean ipv6) {
            return new Socket(newSocketStream0(ipv6));
        }
    }

    /** Completions of one loop turn, in the order the kernel posted them; arrays reused turn after turn. */
    private static final class Completions {
        private Endpoint[] endpoints;
        private byte[] ops;
        private int[] results;
        private int[] flags;
        private int head;
        private int tail;

        Completions(int capacity) {
            endpoints = new Endpoint[capacity];
            ops = new byte[capacity];
            results = new int[capacity];
            flags = new int[capacity];
        }

        void add(Endpoint endpoint, byte op, int result, int cqeFlags) {
            if (tail == endpoints.length) {
                int capacity = endpoints.length * 2;
                endpoints = Arrays.copyOf(endpoints, capacity);
                ops = Arrays.copyOf(ops, capacity);
                results = Arrays.copyOf(results, capacity);
                flags = Arrays.copyOf(flags, capacity);
            }
            endpoints[tail] = endpoint;
            ops[tail] = op;
            results[tail] = result;
            flags[tail] = cqeFlags;
            tail++;
        }

        boolean isEmpty() {
            return head == tail;
        }

        int size() {
            return tail;
        }

        int next() {
            return head;
        }

        int take() {
            return head++;
        }

        Endpoint endpoint(int i) {
            return endpoints[i];
        }

        byte op(int i) {
            return ops[i];
        }

        int result(int i) {
            return results[i];
        }

        int flags(int i) {
            return flags[i];
        }

        void forget(int i) {
            endpoints[i] = null;
        }

        /** Moves undelivered records to the front once the delivered ones are gone. */
        void compact() {
            if (head == tail) {
                head = 0;
                tail = 0;
            } else if (head > 0) {
                int remaining = tail - head;
                System.arraycopy(endpoints, head, endpoints, 0, remaining);
                System.arraycopy(ops, head, ops, 0, remaining);
                System.arraycopy(results, head, results, 0, remaining);
                System.arraycopy(flags, head, flags, 0, remaining);
                Arrays.fill(endpoints, remaining, tail, null);
                head = 0;
                tail = remaining;
            }
        }

        void clear() {
            for (int i = head; i < tail; i++) {
                if (ops[i] == Uapi.IORING_OP_ACCEPT && results[i] >= 0) {
                    closeFd(results[i]);
                }
            }
            Arrays.fill(endpoints, 0, tail, null);
            head = 0;
            tail = 0;
        }
    }
}
