package dev.oneloop.backend.iouring;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.BackendException;
import dev.oneloop.backend.Handles;
import dev.oneloop.backend.internal.CompletionBackend;
import dev.oneloop.backend.internal.Contract;
import dev.oneloop.backend.internal.FdQueue;
import dev.oneloop.backend.internal.HandleState;
import dev.oneloop.backend.internal.PendingWrite;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The completion model on our own io_uring {@link Ring}: multishot ACCEPT per listener, multishot
 * RECV from one provided-buffer ring shared by every connection, SEND straight from the caller's
 * buffer, ASYNC_CANCEL on close. Operations started by the application only fill SQEs;
 * {@link #poll} hands them all to the kernel and waits in the same {@code io_uring_enter}, then
 * turns each completion into a callback.
 *
 * <p><b>One receive per {@code read}, on a multishot RECV.</b> The multishot stays armed while the
 * application keeps re-arming. A buffer that arrives while it has not re-armed is <em>held</em>
 * (buffer id and length, queued in arrival order) and the multishot is cancelled, so that TCP
 * pushes back; the next {@code read} delivers what was held (from the next poll), then arms a new
 * multishot. The kernel may post several buffers in one go before the cancel reaches it (up to 32
 * when much data waits), so each multishot is also limited to one buffer's worth of bytes
 * ({@code sqe->optlen}, Linux 6.17+; it then ends and is re-armed): a connection that stops reading
 * pins at most about one buffer. Older kernels refuse the limit with EINVAL; the backend then
 * arms without it, and logs that it does. A buffer returns to the
 * ring when {@code onRead} returns. ENOBUFS ends the multishot: the connection waits, its bytes in
 * the socket, until a buffer comes back, then re-arms.
 *
 * <p><b>User data</b> packs the operation kind over the handle (slot and generation). A slot is
 * released, and its fd closed, only after the kernel posted the last completion of every operation
 * the handle had in flight, so a late completion can never reach a connection that reused the slot.
 *
 * <p><b>The contract here.</b> The loop thread is the one that constructed the backend; each method
 * but {@link #wakeup()} and {@link #name()} first compares {@code Thread.currentThread()} with it
 * ({@link Contract#checkThread}). {@code wakeup()} from another thread writes the eventfd that a
 * multishot POLL_ADD watches; from the loop thread it only makes the next {@code poll} not block.
 * Errors are the kernel's: a negative CQE result (ACCEPT, RECV, SEND) or a failed
 * {@code socket}/{@code bind}/{@code listen}/{@code getsockname} becomes
 * {@link BackendException#ofErrno} with that errno; ECANCELED, EINTR, EAGAIN and ENOBUFS are
 * handled inside (re-armed or continued) and never reported. {@code listen} opens an
 * {@code AF_INET} socket for an IPv4 address and an {@code AF_INET6} one for an IPv6 address
 * ({@link Contract#ipv6}); accepted sockets inherit the listener's {@code TCP_NODELAY}. A closed
 * handle keeps its slot until the kernel has let go of it, so {@code maxHandles} counts those
 * slots too: an accept or a listen that finds no free slot reports
 * {@link BackendException#outOfHandles} (the accepted fd is closed at once).
 */
final class IoUringBackend extends CompletionBackend<IoUringBackend.Endpoint, IoUringBackend.Listener, IoUringBackend.Connection> {

    private static final Logger LOG = LoggerFactory.getLogger(IoUringBackend.class);

    private static final int MAX_SQ_ENTRIES = 4096;
    private static final int MAX_CQ_ENTRIES = 65536;
    private static final long CLOSE_DRAIN_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final int BUFFER_GROUP = 0;
    /** The value wakeup() writes to the eventfd; shared by every backend, never freed. */
    private static final MemorySegment ONE = Arena.global().allocateFrom(JAVA_LONG, 1L);

    // Operation kinds, in the user data's upper half.
    private static final int K_ACCEPT = 1;
    private static final int K_RECV = 2;
    private static final int K_SEND = 3;
    private static final int K_CANCEL_ACCEPT = 4;
    private static final int K_CANCEL_RECV = 5;
    private static final int K_CANCEL_SEND = 6;
    private static final int K_WAKE = 7;
    private static final int K_CANCEL_WAKE = 8;

    private final Arena arena;
    /** errno of every call made on the loop thread. */
    private final MemorySegment errno;
    private final Ring ring;
    private final int bufferSize;
    private final int bufferCount;
    private final ByteBuffer[] readViews;
    /** Held buffers, a singly linked list per connection through these arrays, indexed by buffer id. */
    private final int[] heldNext;
    private final int[] heldLength;
    private final MemorySegment sockaddr;
    private final MemorySegment sockaddrLength;
    private final MemorySegment intOne;
    private final Object wakeLock = new Object();

    /** Guarded by wakeLock for other threads; -1 once closed. */
    private int wakeFd;
    private boolean wakeArmed;
    private boolean woke;
    private boolean wakeupRequested;
    /** Buffers the kernel handed us (in a CQE) and we did not recycle yet. */
    private int buffersInUse;
    /** Endpoints whose fd is still open (not yet released). */
    private int unreleased;
    private Endpoint readyHead;
    private Endpoint readyTail;
    /** Connections whose multishot ended with ENOBUFS, waiting for a buffer; doubly linked. */
    private Connection starvedHead;
    private Connection starvedTail;
    /** Whether multishot RECVs carry a total byte limit of one buffer (until the kernel refuses it). */
    private boolean limitMultishot = true;
    private boolean closing;

    IoUringBackend(BackendConfig config) throws IOException {
        this(config, sqEntriesFor(config.maxHandles()), cqEntriesFor(config));
    }

    /** Package-private for testing: explicit ring sizes (a tiny CQ to force overflow, a tiny SQ to force early flushes). */
    IoUringBackend(BackendConfig config, int sqEntries, int cqEntries) throws IOException {
        super(config.maxHandles(), Listener.class, Connection.class);
        arena = Arena.ofShared();
        errno = Libc.newErrnoSegment(arena);
        bufferSize = config.readBufferSize();
        bufferCount = config.readBufferCount();
        Ring r = null;
        try {
            r = Ring.open(sqEntries, cqEntries, errno, arena);
            int missing = r.missingOp(Ring.REQUIRED_OPS, arena);
            if (missing >= 0) {
                throw new IOException("this kernel's io_uring lacks IORING_OP_" + Uring.opName(missing));
            }
            r.registerBuffers(BUFFER_GROUP, bufferCount, bufferSize);
            wakeFd = (int) Libc.EVENTFD.invokeExact(errno, 0, Uring.EFD_CLOEXEC);
            if (wakeFd < 0) {
                throw Libc.error("eventfd", Libc.errno(errno));
            }
        } catch (IOException | RuntimeException | Error e) {
            if (r != null) {
                r.close();
                r.unmapBuffers();
            }
            arena.close();
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
        ring = r;
        readViews = new ByteBuffer[bufferCount];
        MemorySegment buffers = ring.buffers();
        for (int bid = 0; bid < bufferCount; bid++) {
            readViews[bid] = buffers.asSlice((long) bid * bufferSize, bufferSize).asByteBuffer().asReadOnlyBuffer();
        }
        heldNext = new int[bufferCount];
        heldLength = new int[bufferCount];
        sockaddr = arena.allocate(Uring.SOCKADDR_STORAGE, 8);
        sockaddrLength = arena.allocate(JAVA_INT);
        intOne = arena.allocateFrom(JAVA_INT, 1); // NB: allocate(JAVA_INT, 1) would be one zeroed int
        armWake();
        LOG.atDebug().addKeyValue("sqEntries", ring.sqEntries()).addKeyValue("cqEntries", ring.cqEntries())
                .addKeyValue("setupFlags", "0x" + Integer.toHexString(ring.setupFlags()))
                .addKeyValue("registeredRingFd", ring.registeredRingFd())
                .addKeyValue("buffers", bufferCount).addKeyValue("bufferSize", bufferSize)
                .log("io_uring (FFM) backend opened");
    }

    /** One SQE per handle and turn is the common case; beyond the cap a full SQ is flushed early. */
    static int sqEntriesFor(int maxHandles) {
        return Math.min(MAX_SQ_ENTRIES, Math.max(64, Integer.highestOneBit(Math.max(1, maxHandles - 1)) << 1));
    }

    /** Room for a RECV and a SEND completion per handle plus one per buffer; an overflow is still lossless. */
    static int cqEntriesFor(BackendConfig config) {
        long wanted = 2L * config.maxHandles() + config.readBufferCount();
        long pow2 = Long.highestOneBit(Math.max(1, wanted - 1)) << 1;
        return (int) Math.min(MAX_CQ_ENTRIES, Math.max(2L * sqEntriesFor(config.maxHandles()), pow2));
    }

    @Override
    public String name() {
        return IoUringBackendProvider.NAME;
    }

    // ---- listeners

    @Override
    protected int bind(InetSocketAddress address, boolean ipv6, int backlog) throws IOException {
        InetAddress ip = address.getAddress();
        int family = ipv6 ? Uring.AF_INET6 : Uring.AF_INET;
        int fd;
        try {
            fd = (int) Libc.SOCKET.invokeExact(errno, family, Uring.SOCK_STREAM | Uring.SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw Libc.error("socket", Libc.errno(errno));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
        Listener listener = new Listener(fd);
        try {
            setOption(fd, Uring.SOL_SOCKET, Uring.SO_REUSEADDR, "SO_REUSEADDR");
            // Linux copies TCP_NODELAY to every socket accepted from this one: no setsockopt per connection.
            setOption(fd, Uring.IPPROTO_TCP, Uring.TCP_NODELAY, "TCP_NODELAY");
            int length = writeSockaddr(ip, address.getPort());
            if ((int) Libc.BIND.invokeExact(errno, fd, sockaddr.address(), length) < 0) {
                throw Libc.error("bind", Libc.errno(errno));
            }
            if ((int) Libc.LISTEN.invokeExact(errno, fd, backlog) < 0) {
                throw Libc.error("listen", Libc.errno(errno));
            }
            listener.handle = endpoints.add(listener);
            if (listener.handle == Handles.NONE) {
                // Every slot is live or retired, waiting for the kernel to let go of a closed handle.
                throw BackendException.outOfHandles("cannot listen on " + address, endpoints.capacity());
            }
        } catch (IOException | RuntimeException | Error e) {
            Libc.closeQuietly(errno, fd);
            throw e;
        } catch (Throwable t) {
            Libc.closeQuietly(errno, fd);
            throw Libc.rethrow(t);
        }
        unreleased++;
        return listener.handle;
    }

    private void setOption(int fd, int level, int option, String name) throws IOException {
        try {
            if ((int) Libc.SETSOCKOPT.invokeExact(errno, fd, level, option, intOne.address(), 4) < 0) {
                throw Libc.error("setsockopt " + name, Libc.errno(errno));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    private int writeSockaddr(InetAddress ip, int port) {
        sockaddr.fill((byte) 0);
        // sin_port / sin6_port in network byte order, byte by byte.
        sockaddr.set(JAVA_BYTE, 2, (byte) (port >>> 8));
        sockaddr.set(JAVA_BYTE, 3, (byte) port);
        byte[] bytes = ip.getAddress();
        if (ip instanceof Inet6Address v6) {
            sockaddr.set(JAVA_SHORT, 0, (short) Uring.AF_INET6);
            MemorySegment.copy(bytes, 0, sockaddr, JAVA_BYTE, 8, 16);
            sockaddr.set(JAVA_INT, 24, v6.getScopeId());
            return 28;
        }
        sockaddr.set(JAVA_SHORT, 0, (short) Uring.AF_INET);
        MemorySegment.copy(bytes, 0, sockaddr, JAVA_BYTE, 4, 4);
        return 16;
    }

    @Override
    protected InetSocketAddress localAddress(Endpoint endpoint) throws IOException {
        sockaddrLength.set(JAVA_INT, 0, Uring.SOCKADDR_STORAGE);
        try {
            if ((int) Libc.GETSOCKNAME.invokeExact(errno, endpoint.fd, sockaddr.address(), sockaddrLength.address()) < 0) {
                throw Libc.error("getsockname", Libc.errno(errno));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
        int port = ((sockaddr.get(JAVA_BYTE, 2) & 0xff) << 8) | (sockaddr.get(JAVA_BYTE, 3) & 0xff);
        int family = sockaddr.get(JAVA_SHORT, 0);
        if (family == Uring.AF_INET6) {
            byte[] bytes = sockaddr.asSlice(8, 16).toArray(JAVA_BYTE);
            return new InetSocketAddress(Inet6Address.getByAddress(null, bytes, sockaddr.get(JAVA_INT, 24)), port);
        }
        byte[] bytes = sockaddr.asSlice(4, 4).toArray(JAVA_BYTE);
        return new InetSocketAddress(Inet4Address.getByAddress(bytes), port);
    }

    @Override
    protected void armAccept(Listener l) {
        if (l.armed) {
            return;
        }
        l.armed = true;
        if (l.parked.size() > 0) {
            addReady(l); // connections the kernel accepted while disarmed go first, from the next poll
        }
        if (!l.acceptActive) {
            submitAccept(l);
        }
    }

    // ---- connections

    @Override
    protected void armRead(Connection c) {
        if (c.readArmed || c.ended) {
            return;
        }
        c.readArmed = true;
        if (c.heldHead >= 0 || c.endPending) {
            addReady(c);
        } else {
            armRecv(c);
        }
    }

    @Override
    protected void closeEndpoint(int handle, Endpoint endpoint) {
        if (endpoint instanceof Listener l) {
            l.armed = false;
            if (l.acceptActive && !l.acceptCancelled) {
                cancel(l, K_CANCEL_ACCEPT, K_ACCEPT);
                l.acceptCancelled = true;
            }
            for (int i = 0; i < l.parked.size(); i++) {
                Libc.closeQuietly(errno, l.parked.get(i));
            }
            l.parked.clear();
        } else {
            Connection c = (Connection) endpoint;
            while (c.heldHead >= 0) {
                recycle(popHeld(c));
            }
            c.endPending = false;
            unstarve(c);
            if (c.recvActive && !c.recvCancelled) {
                cancel(c, K_CANCEL_RECV, K_RECV);
                c.recvCancelled = true;
            }
            if (c.sendActive) {
                // The caller may reuse its buffer once close returns. A SEND still in our SQ becomes a NOP.
                // One the kernel holds waits for socket space; with DEFER_TASKRUN its retry runs only inside
                // our next GETEVENTS enter, which first submits this cancel. write(c) keeps the buffer referenced
                // until its completion.
                if (ring.isUnsubmitted(c.sendSqe)) {
                    ring.turnIntoNop(c.sendSqe);
                } else {
                    cancel(c, K_CANCEL_SEND, K_SEND);
                }
            }
        }
        maybeRelease(endpoint);
    }

    // ---- poll

    @Override
    protected int doPoll(long timeoutNanos, Handler handler) throws IOException {
        long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
        boolean noWait = timeoutNanos == 0 || wakeupRequested;
        wakeupRequested = false;
        int callbacks = 0;
        for (;;) {
            boolean dontBlock = noWait || readyHead != null || !ring.cqEmpty();
            woke = false;
            int r;
            if (dontBlock) {
                r = ring.enter(0, Uring.ENTER_GETEVENTS, -1);
            } else if (timeoutNanos < 0) {
                r = ring.enter(1, Uring.ENTER_GETEVENTS, -1);
            } else {
                r = ring.enter(1, Uring.ENTER_GETEVENTS, Math.max(1, deadline - System.nanoTime()));
            }
            if (r < 0 && r != -Uring.ETIME && r != -Uring.EINTR && r != -Uring.EAGAIN && r != -Uring.EBUSY) {
                throw Libc.error("io_uring_enter", -r);
            }
            callbacks += drain(handler);
            if (!closed) {
                callbacks += deliverReady(handler);
            }
            // A timed poll never returns early for completions the backend consumed itself.
            if (callbacks > 0 || dontBlock || woke || closed
                    || (timeoutNanos > 0 && System.nanoTime() - deadline >= 0)) {
                return callbacks;
            }
        }
    }

    /** Turns every CQE ready now into callbacks; flushes an overflowed CQ into the ring and goes on. */
    private int drain(Handler handler) {
        int callbacks = 0;
        for (int pass = 0; pass < 16 && !closed; pass++) {
            int head = ring.cqHead();
            int tail = ring.cqTailAcquire();
            while (head != tail && !closed) {
                long userData = ring.userData(head);
                int res = ring.result(head);
                int flags = ring.flags(head);
                head++;
                ring.advanceCq(head); // the slot is free before a callback can make the kernel post more
                callbacks += complete(userData, res, flags, handler);
            }
            if (closed || !ring.cqOverflowed()) {
                break;
            }
            ring.flushOverflow();
        }
        return callbacks;
    }

    private int complete(long userData, int res, int flags, Handler handler) {
        int kind = (int) (userData >>> 32);
        if (kind == K_WAKE) {
            if (res >= 0) {
                woke = true;
            }
            if ((flags & Uring.CQE_F_MORE) == 0) {
                wakeArmed = false;
                if (!closing) {
                    armWake();
                }
            }
            return 0;
        }
        if (kind == K_CANCEL_WAKE) {
            return 0;
        }
        int handle = (int) userData;
        Endpoint e = endpoints.atSlot(Handles.slot(handle));
        if (e == null || e.handle != handle) {
            LOG.atWarn().addKeyValue("kind", kind).addKeyValue("res", res).addKeyValue("handle", Handles.toString(handle))
                    .log("completion for a released slot dropped");
            return 0;
        }
        boolean more = (flags & Uring.CQE_F_MORE) != 0;
        switch (kind) {
            case K_ACCEPT -> {
                Listener l = (Listener) e;
                if (!more) {
                    l.acceptActive = false;
                    l.acceptCancelled = false;
                    l.inflight--;
                }
                if (l.closed) {
                    if (res >= 0) {
                        Libc.closeQuietly(errno, res);
                    }
                    maybeRelease(l);
                    return 0;
                }
                return accepted(l, res, handler);
            }
            case K_RECV -> {
                Connection c = (Connection) e;
                if (!more) {
                    c.recvActive = false;
                    c.recvCancelled = false;
                    c.inflight--;
                }
                int bid = (flags & Uring.CQE_F_BUFFER) != 0 ? flags >>> Uring.CQE_BUFFER_SHIFT : -1;
                if (bid >= 0) {
                    buffersInUse++;
                }
                if (c.closed) {
                    if (bid >= 0) {
                        recycle(bid);
                    }
                    maybeRelease(c);
                    return 0;
                }
                return received(c, res, bid, handler);
            }
            case K_SEND -> {
                Connection c = (Connection) e;
                c.sendActive = false;
                c.inflight--;
                if (c.closed) {
                    write(c).end(); // the kernel is done with it
                    maybeRelease(c);
                    return 0;
                }
                return sendCompleted(c, res, handler);
            }
            default -> { // the result of an ASYNC_CANCEL
                e.inflight--;
                if (res < 0 && res != -Uring.ENOENT) {
                    // EALREADY: the operation may go on; allow a later cancel. Its own completion says when it ends.
                    if (kind == K_CANCEL_RECV && e instanceof Connection c) {
                        c.recvCancelled = false;
                    } else if (kind == K_CANCEL_ACCEPT && e instanceof Listener l) {
                        l.acceptCancelled = false;
                    }
                }
                maybeRelease(e);
                return 0;
            }
        }
    }

    // ---- accept

    private void submitAccept(Listener l) {
        ring.prep(Uring.OP_ACCEPT, 0, Uring.ACCEPT_MULTISHOT, l.fd, 0, 0, Uring.SOCK_CLOEXEC, userData(K_ACCEPT, l.handle), 0);
        l.acceptActive = true;
        l.inflight++;
    }

    private int accepted(Listener l, int res, Handler handler) {
        int callbacks = 0;
        if (res >= 0) {
            if (!l.armed || l.parked.size() > 0) {
                l.parked.add(res); // after a disarm, or behind connections parked earlier (order kept)
                if (l.armed) {
                    addReady(l);
                }
            } else {
                callbacks += acceptConnection(l, res, handler);
            }
        } else if (res != -Uring.ECANCELED && l.armed) {
            disarm(l);
            handler.onAcceptError(l.handle, Libc.error("accept", -res));
            return 1;
        }
        // A multishot ACCEPT can also end without an error (e.g. a CQ overflow): keep accepting.
        if (l.armed && !l.closed && !l.acceptActive) {
            submitAccept(l);
        }
        return callbacks;
    }

    private int acceptConnection(Listener l, int fd, Handler handler) {
        Connection c = new Connection(fd);
        c.handle = endpoints.add(c);
        if (c.handle == Handles.NONE) {
            Libc.closeQuietly(errno, fd);
            disarm(l);
            handler.onAcceptError(l.handle, BackendException.outOfHandles("connection closed", endpoints.capacity()));
            return 1;
        }
        unreleased++;
        handler.onAccept(l.handle, c.handle);
        return 1;
    }

    private void disarm(Listener l) {
        l.armed = false;
        if (l.acceptActive && !l.acceptCancelled) {
            cancel(l, K_CANCEL_ACCEPT, K_ACCEPT);
            l.acceptCancelled = true;
        }
    }

    // ---- receive

    /** Starts a multishot RECV if the connection wants one and nothing stands in the way. */
    private void armRecv(Connection c) {
        if (c.closed || !c.readArmed || c.recvActive || c.heldHead >= 0 || c.endPending || c.ended || c.starved) {
            return;
        }
        int index = ring.prep(Uring.OP_RECV, Uring.SQE_BUFFER_SELECT, Uring.RECV_MULTISHOT, c.fd, 0, 0, 0,
                userData(K_RECV, c.handle), BUFFER_GROUP);
        if (limitMultishot) {
            ring.setOptlen(index, bufferSize);
        }
        c.recvActive = true;
        c.inflight++;
    }

    private int received(Connection c, int res, int bid, Handler handler) {
        if (res > 0 && bid >= 0) {
            if (c.readArmed && c.heldHead < 0) {
                deliverBuffer(c, bid, res, handler);
                return 1;
            }
            hold(c, bid, res);
            if (c.recvActive && !c.recvCancelled) {
                // The application is not reading: stop the multishot so that TCP pushes back.
                cancel(c, K_CANCEL_RECV, K_RECV);
                c.recvCancelled = true;
            }
            if (c.readArmed) {
                addReady(c);
            }
            return 0;
        }
        if (bid >= 0) {
            recycle(bid); // not expected: a buffer with no bytes
        }
        if (res == -Uring.ENOBUFS) {
            starve(c);
            return 0;
        }
        if (res == -Uring.EINVAL && limitMultishot) {
            limitMultishot = false;
            LOG.atInfo().log("io_uring: this kernel refuses a byte limit on multishot RECV (Linux 6.17+); arming without it");
            armRecv(c);
            return 0;
        }
        if (res == -Uring.ECANCELED || res == -Uring.EINTR || res == -Uring.EAGAIN || res > 0) {
            armRecv(c);
            return 0;
        }
        // End of stream (0) or an error: delivered in order, after the bytes held before it.
        if (c.readArmed && c.heldHead < 0) {
            deliverEnd(c, res, handler);
            return 1;
        }
        c.endPending = true;
        c.endResult = res;
        if (c.readArmed) {
            addReady(c);
        }
        return 0;
    }

    private void deliverBuffer(Connection c, int bid, int length, Handler handler) {
        c.readArmed = false;
        ByteBuffer view = readViews[bid];
        view.limit(length).position(0);
        try {
            handler.onRead(c.handle, view);
        } finally {
            recycle(bid);
        }
    }

    private void deliverEnd(Connection c, int res, Handler handler) {
        c.readArmed = false;
        c.ended = true;
        c.endPending = false;
        if (res == 0) {
            handler.onEof(c.handle);
        } else {
            handler.onError(c.handle, Libc.error("recv", -res));
        }
    }

    private void hold(Connection c, int bid, int length) {
        heldNext[bid] = -1;
        heldLength[bid] = length;
        if (c.heldHead < 0) {
            c.heldHead = bid;
        } else {
            heldNext[c.heldTail] = bid;
        }
        c.heldTail = bid;
    }

    private int popHeld(Connection c) {
        int bid = c.heldHead;
        c.heldHead = heldNext[bid];
        return bid;
    }

    /** Gives a buffer back to the kernel and lets one connection that starved for buffers try again. */
    private void recycle(int bid) {
        if (closed) {
            return; // a callback closed the whole backend: the buffer ring is gone
        }
        ring.recycle(bid);
        buffersInUse--;
        while (starvedHead != null) {
            Connection c = starvedHead;
            unstarve(c);
            if (!c.closed && c.readArmed) {
                armRecv(c);
                return;
            }
        }
    }

    private void starve(Connection c) {
        if (buffersInUse < bufferCount) {
            armRecv(c); // buffers came back since the kernel ran out
            return;
        }
        c.starved = true;
        c.nextStarved = null;
        c.prevStarved = starvedTail;
        if (starvedTail == null) {
            starvedHead = c;
        } else {
            starvedTail.nextStarved = c;
        }
        starvedTail = c;
    }

    private void unstarve(Connection c) {
        if (!c.starved) {
            return;
        }
        c.starved = false;
        if (c.prevStarved == null) {
            starvedHead = c.nextStarved;
        } else {
            c.prevStarved.nextStarved = c.nextStarved;
        }
        if (c.nextStarved == null) {
            starvedTail = c.prevStarved;
        } else {
            c.nextStarved.prevStarved = c.prevStarved;
        }
        c.prevStarved = null;
        c.nextStarved = null;
    }

    // ---- results waiting for read() / accept(): delivered from poll

    private void addReady(Endpoint e) {
        if (e.ready) {
            return;
        }
        e.ready = true;
        e.nextReady = null;
        if (readyTail == null) {
            readyHead = e;
        } else {
            readyTail.nextReady = e;
        }
        readyTail = e;
    }

    /** Delivers what waited for a re-arm; what callbacks make ready now waits for the next poll. */
    private int deliverReady(Handler handler) {
        Endpoint e = readyHead;
        readyHead = null;
        readyTail = null;
        int callbacks = 0;
        while (e != null && !closed) {
            Endpoint next = e.nextReady;
            e.nextReady = null;
            e.ready = false;
            if (!e.closed) {
                callbacks += e instanceof Connection c ? deliverHeld(c, handler) : deliverParked((Listener) e, handler);
            }
            e = next;
        }
        return callbacks;
    }

    private int deliverHeld(Connection c, Handler handler) {
        int callbacks = 0;
        while (c.readArmed && !c.closed && !closed) {
            if (c.heldHead >= 0) {
                int bid = popHeld(c);
                deliverBuffer(c, bid, heldLength[bid], handler);
            } else if (c.endPending) {
                deliverEnd(c, c.endResult, handler);
            } else {
                break;
            }
            callbacks++;
        }
        if (!c.closed && !closed) {
            armRecv(c);
        }
        return callbacks;
    }

    private int deliverParked(Listener l, Handler handler) {
        int callbacks = 0;
        while (l.armed && l.parked.size() > 0 && !l.closed && !closed) {
            int fd = l.parked.take();
            callbacks += acceptConnection(l, fd, handler);
        }
        return callbacks;
    }

    // ---- send

    @Override
    protected void submitSend(Connection c) {
        PendingWrite write = write(c);
        c.sendSqe = ring.prep(Uring.OP_SEND, 0, 0, c.fd, write.address(), write.remaining(), Uring.MSG_NOSIGNAL,
                userData(K_SEND, c.handle), 0);
        c.sendActive = true;
        c.inflight++;
    }

    // ---- cancel, release

    private void cancel(Endpoint e, int cancelKind, int targetKind) {
        ring.prep(Uring.OP_ASYNC_CANCEL, 0, 0, -1, userData(targetKind, e.handle), 0, 0, userData(cancelKind, e.handle), 0);
        e.inflight++;
    }

    /** The kernel let go of a closed endpoint: close its fd and free its slot. */
    private void maybeRelease(Endpoint e) {
        if (!e.closed || e.inflight > 0 || e.released) {
            return;
        }
        e.released = true;
        Libc.closeQuietly(errno, e.fd);
        endpoints.release(Handles.slot(e.handle));
        unreleased--;
    }

    private static long userData(int kind, int handle) {
        return ((long) kind << 32) | (handle & 0xffffffffL);
    }

    // ---- wakeup

    /**
     * A multishot POLL_ADD on the eventfd: every write() of wakeup() posts a completion. The counter
     * is never read back (a read would cost a syscall or an io-wq worker); it cannot overflow in practice.
     */
    private void armWake() {
        ring.prep(Uring.OP_POLL_ADD, 0, 0, wakeFd, 0, Uring.POLL_ADD_MULTI, Uring.POLLIN, userData(K_WAKE, 0), 0);
        wakeArmed = true;
    }

    @Override
    public void wakeup() {
        if (Thread.currentThread() == loopThread) {
            wakeupRequested = true;
            return;
        }
        synchronized (wakeLock) { // close() must not close the eventfd between our check and the write
            if (wakeFd >= 0) {
                try {
                    long r = (long) Libc.WRITE_NO_ERRNO.invokeExact(wakeFd, ONE.address(), 8L);
                    assert r == 8 || r == -1; // -1: the counter is saturated, a wakeup is pending anyway
                } catch (Throwable t) {
                    throw Libc.rethrow(t);
                }
            }
        }
    }

    @Override
    protected void shutDown() {
        readyHead = null;
        readyTail = null;
        closing = true;
        if (wakeArmed) {
            ring.prep(Uring.OP_ASYNC_CANCEL, 0, 0, -1, userData(K_WAKE, 0), 0, 0, userData(K_CANCEL_WAKE, 0), 0);
        }
        long deadline = System.nanoTime() + CLOSE_DRAIN_NANOS;
        try {
            while ((unreleased > 0 || wakeArmed) && deadline - System.nanoTime() > 0) {
                ring.enter(1, Uring.ENTER_GETEVENTS, Math.min(TimeUnit.MILLISECONDS.toNanos(10), deadline - System.nanoTime()));
                drain(NO_CALLBACKS);
            }
        } catch (RuntimeException e) {
            LOG.atWarn().setCause(e).log("io_uring loop failed while draining on close");
        }
        closed = true;
        synchronized (wakeLock) {
            Libc.closeQuietly(errno, wakeFd);
            wakeFd = -1;
        }
        boolean drained = unreleased == 0 && !wakeArmed;
        if (!drained) {
            LOG.atWarn().addKeyValue("endpoints", unreleased).log("operations still in flight after close; the ring's teardown cancels them");
        }
        ring.close();
        for (int slot = 0; slot < endpoints.capacity(); slot++) {
            Endpoint e = endpoints.atSlot(slot);
            if (e != null && !e.released) {
                e.released = true;
                Libc.closeQuietly(errno, e.fd);
            }
        }
        forgetWriteAddresses();
        if (drained) {
            ring.unmapBuffers();
            arena.close();
        } // else the kernel's teardown may still write into them: leak rather than corrupt
    }

    // ---- helpers


    /** Ring counters. Package-private for testing. */
    Ring ring() {
        return ring;
    }

    /** Buffers held for connections that are not reading, or being delivered. Package-private for testing. */
    int buffersInUse() {
        return buffersInUse;
    }

    private static final Handler NO_CALLBACKS = new Handler() {
        @Override
        public void onAccept(int listener, int connection) {
        }

        @Override
        public void onAcceptError(int listener, IOException error) {
        }

        @Override
        public void onRead(int connection, ByteBuffer data) {
        }

        @Override
        public void onEof(int connection) {
        }

        @Override
        public void onWritten(int connection) {
        }

        @Override
        public void onError(int connection, IOException error) {
        }
    };

    // ---- per-handle state

    abstract static class Endpoint extends HandleState {
        final int fd;
        /** Operations (including cancels) whose last completion has not arrived. */
        int inflight;
        boolean released;
        boolean ready;
        Endpoint nextReady;

        Endpoint(int fd) {
            this.fd = fd;
        }
    }

    static final class Listener extends Endpoint {
        boolean armed;
        boolean acceptActive;
        boolean acceptCancelled;
        /** Connections the kernel accepted while acceptance was disarmed, in order. */
        final FdQueue parked = new FdQueue();

        Listener(int fd) {
            super(fd);
        }
    }

    static final class Connection extends Endpoint {
        /** The application asked for one receive and has not been given it yet. */
        boolean readArmed;
        /** A multishot RECV is in the kernel (until a completion without F_MORE). */
        boolean recvActive;
        boolean recvCancelled;
        /** End of stream or an error was delivered: nothing more to read. */
        boolean ended;
        /** End of stream (0) or -errno received, to deliver after the held buffers. */
        boolean endPending;
        int endResult;
        /** Buffers received while not armed, oldest first; -1 when none. */
        int heldHead = -1;
        int heldTail = -1;
        boolean starved;
        Connection prevStarved;
        Connection nextStarved;
        boolean sendActive;
        int sendSqe;

        Connection(int fd) {
            super(fd);
        }
    }
}
