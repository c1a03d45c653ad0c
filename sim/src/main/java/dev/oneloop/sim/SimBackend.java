package dev.oneloop.sim;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.BackendException;
import dev.oneloop.backend.HandleTable;
import dev.oneloop.backend.Handles;
import dev.oneloop.backend.internal.Contract;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * A {@link Backend} whose sockets are a {@link SimNetwork}: completion-shaped like io_uring (a
 * write's buffer is read by the "kernel" over several polls), with completions delivered in a
 * seeded order (each connection's in order, connections shuffled).
 *
 * <p>It keeps the whole {@code Backend} contract (the contract suite runs against it in real time)
 * and it checks its caller: a buffer handed to {@link #write} is checksummed and re-checked until
 * it is the caller's again, and, after a {@code close} with the write in flight, for a few more
 * polls. That last check is stricter than the contract, which gives the buffer back at
 * {@code close} (our io_uring backend cancels the send before its kernel could retry it): a server
 * that passes it stays correct on a completion backend whose cancellation completes later, as a
 * ring without {@code DEFER_TASKRUN} would. The view passed to {@code onRead} is scribbled
 * over once the callback returns; stale handles, a second write in flight and heap buffers are
 * refused with the contract's exceptions.
 *
 * <p><b>The contract here.</b> The loop thread is the one that constructed the backend; each method
 * but {@link #wakeup()} and {@link #name()} checks it ({@link Contract#checkThread}) before taking
 * the network's monitor, so a call from another thread neither changes nor waits for anything.
 * {@code wakeup()} sets a flag under the monitor (and notifies a real-time poll). The network has
 * ports, not socket families: {@code listen} only checks that the address is resolved. Its failures
 * carry the errno Linux gives for the same situation: a taken port is {@code bind} EADDRINUSE (98);
 * the peer's reset is ECONNRESET (104) on the armed receive, or on the send in flight; a send to a
 * peer that closed is EPIPE (32); an injected accept failure is EMFILE (24), the connection staying
 * queued. A closed handle's slot is released at the next poll (later when a write was in flight),
 * and {@code maxHandles} counts it until then.
 */
public final class SimBackend implements Backend {

    /** What {@code poll} delivered. */
    public enum Op { ACCEPT, ACCEPT_ERROR, READ, EOF, WRITTEN, ERROR }

    /** Sees every call and delivery, for a simulation's invariants. Loop thread. */
    public interface Observer {
        default void pollStarted(long now) {
        }

        default void pollReturned(long now, int delivered) {
        }

        /** Just before the callback; {@code c} is {@code null} for listener events. */
        default void delivering(Op op, int handle, SimConnection c, int bytes) {
        }

        /** Just after the callback returned. */
        default void delivered(Op op, int handle, SimConnection c, int bytes) {
        }

        default void readArmed(SimConnection c) {
        }

        default void writeStarted(SimConnection c, int bytes) {
        }

        default void acceptArmed(int listener) {
        }

        /** {@code c} is {@code null} for a listener. */
        default void closed(int handle, SimConnection c) {
        }
    }

    private static final Observer NO_OBSERVER = new Observer() { };
    // The errno values a Linux kernel gives for the failures this network simulates.
    private static final int EPIPE = 32;
    private static final int EMFILE = 24;
    private static final int EADDRINUSE = 98;
    private static final int ECONNRESET = 104;
    /** Written over an {@code onRead} view once the callback returns: not in any client's alphabet. */
    private static final byte SCRIBBLE = (byte) 0xEE;
    /** Polls in a row at one virtual instant that make a busy loop. */
    private static final int SPIN_LIMIT = 100_000;

    private final SimNetwork net;
    private final BackendConfig config;
    private final HandleTable<Object> table;
    private final Thread owner;
    /** Listeners and connections with live handles, in the order they were opened. */
    private final List<Object> live = new ArrayList<>();
    private long opened;
    private final List<Retired> retired = new ArrayList<>();
    private final List<Object> ready = new ArrayList<>();
    /** What one poll delivers, copied out of {@link #ready} (which gathering refills). */
    private SimSocket[] batch = new SimSocket[16];
    private final ByteBuffer[] readBuffers;
    private final byte[] scribbles;
    private final ByteBuffer[] readViews;
    private final CRC32C crc = new CRC32C();
    private Observer observer = NO_OBSERVER;
    private volatile boolean wakeup;
    private boolean inPoll;
    private boolean closed;
    private long polls;
    private long emptyPolls;
    private long earlyReturns;
    private long progressSteps;
    private long pauses;
    private long spinStart;
    private long spinPolls;

    /** A closed handle's slot, released after {@link #pollsLeft} polls; with the buffer the kernel may still read. */
    private static final class Retired {
        final int slot;
        int pollsLeft;
        /** A view of the buffer of the write in flight: the application's buffer is its own again. */
        final ByteBuffer held;
        final int start;
        final int end;
        final long checksum;
        final SimConnection c;

        Retired(int slot, int pollsLeft, ByteBuffer held, int start, int end, long checksum, SimConnection c) {
            this.slot = slot;
            this.pollsLeft = pollsLeft;
            this.held = held;
            this.start = start;
            this.end = end;
            this.checksum = checksum;
            this.c = c;
        }
    }

    public SimBackend(SimNetwork net, BackendConfig config) {
        this.net = net;
        this.config = config;
        this.table = new HandleTable<>(config.maxHandles());
        this.owner = Thread.currentThread();
        this.readBuffers = new ByteBuffer[config.maxHandles()];
        this.readViews = new ByteBuffer[config.maxHandles()];
        this.scribbles = new byte[config.readBufferSize()];
        java.util.Arrays.fill(scribbles, SCRIBBLE);
    }

    public void observer(Observer newObserver) {
        observer = newObserver;
    }

    public SimNetwork network() {
        return net;
    }

    public long polls() {
        return polls;
    }

    /** Polls that returned early by an injected fault. */
    public long earlyReturns() {
        return earlyReturns;
    }

    /** Polls that an injected pause made late. */
    public long pauses() {
        return pauses;
    }

    /** Polls that delivered nothing. */
    public long emptyPolls() {
        return emptyPolls;
    }

    /** The connection behind a live handle, or {@code null}. */
    public SimConnection connection(int handle) {
        synchronized (net) {
            return table.get(handle) instanceof SimConnection c ? c : null;
        }
    }

    /** Connections with live handles (not listeners). */
    public int liveConnections() {
        synchronized (net) {
            int n = 0;
            for (Object o : live) {
                if (o instanceof SimConnection) {
                    n++;
                }
            }
            return n;
        }
    }

    @Override
    public String name() {
        return "sim";
    }

    @Override
    public int listen(InetSocketAddress address, int backlog) throws IOException {
        enter("listen");
        synchronized (net) {
            Contract.checkOpen(closed);
            Contract.ipv6(address); // the simulated network binds ports, not families: only the check
            if (table.size() >= table.capacity()) {
                throw BackendException.outOfHandles("cannot listen on " + address, table.capacity());
            }
            SimNetwork.Listener listener;
            try {
                listener = net.bind(address, backlog);
            } catch (BindException e) { // the only way the simulated bind fails: the port is taken
                BackendException inUse = BackendException.ofErrno("bind", EADDRINUSE);
                throw BackendException.of(inUse.getMessage(), inUse.kind(), inUse.errno(), e);
            }
            int handle = table.add(listener);
            if (handle == Handles.NONE) { // every free slot is retired, released at the next poll
                net.unbind(listener);
                throw BackendException.outOfHandles("cannot listen on " + address, table.capacity());
            }
            listener.handle = handle;
            listener.opened = opened++;
            live.add(listener);
            net.trace.event(net.now(), "listen", handle, listener.address.getPort());
            return handle;
        }
    }

    @Override
    public InetSocketAddress localAddress(int handle) throws IOException {
        enter("localAddress");
        synchronized (net) {
            Contract.checkOpen(closed);
            Object o = Contract.live(table, handle);
            if (o instanceof SimNetwork.Listener l) {
                return l.address;
            }
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), ((SimConnection) o).port);
        }
    }

    @Override
    public void accept(int listener) {
        enter("accept");
        synchronized (net) {
            Contract.checkOpen(closed);
            SimNetwork.Listener l = Contract.listener(table, listener, SimNetwork.Listener.class);
            if (!l.acceptArmed) {
                l.acceptArmed = true;
                net.touch(l);
                net.trace.event(net.now(), "accept()", listener, 0);
                observer.acceptArmed(listener);
            }
        }
    }

    @Override
    public void read(int connection) {
        enter("read");
        synchronized (net) {
            Contract.checkOpen(closed);
            SimConnection c = Contract.connection(table, connection, SimConnection.class);
            if (c.readArmed || c.eofDelivered) {
                return;
            }
            c.readArmed = true;
            net.touch(c);
            net.trace.event(net.now(), "read()", c.id, 0);
            observer.readArmed(c);
        }
    }

    @Override
    public void write(int connection, ByteBuffer src) {
        enter("write");
        synchronized (net) {
            Contract.checkOpen(closed);
            SimConnection c = Contract.connection(table, connection, SimConnection.class);
            Contract.checkDirect(src);
            if (c.writing != null) {
                throw Contract.writeInFlight(connection);
            }
            c.writing = src;
            c.writeStart = src.position();
            c.writeEnd = src.limit();
            c.writeChecksum = checksum(src, c.writeStart, c.writeEnd);
            c.writeStartedAt = net.now();
            net.touch(c);
            net.trace.event(net.now(), "write()", c.id, src.remaining());
            net.trace.data(c.writeChecksum);
            observer.writeStarted(c, src.remaining());
        }
    }

    @Override
    public void close(int handle) {
        enter("close");
        synchronized (net) {
            Contract.checkOpen(closed);
            closeHandle(handle);
        }
    }

    private void closeHandle(int handle) {
        Object o = table.get(handle);
        if (o == null) {
            return;
        }
        table.retire(handle);
        live.remove(o);
        long now = net.now();
        net.trace.event(now, "close()", o instanceof SimConnection c ? c.id : handle, 0);
        if (o instanceof SimNetwork.Listener l) {
            l.acceptArmed = false;
            l.handle = Handles.NONE;
            // The port is released with the slot, at the next poll (see Backend#close).
            retired.add(new Retired(Handles.slot(handle), 1, null, 0, 0, 0, null));
            pendingUnbind.add(l);
            observer.closed(handle, null);
            return;
        }
        SimConnection c = (SimConnection) o;
        c.serverClosed = true;
        c.readArmed = false;
        int hold = 1;
        if (c.writing != null && !net.realTime) {
            hold = 1 + net.random.nextInt(4);
        }
        retired.add(new Retired(Handles.slot(handle), hold, c.writing == null ? null : c.writing.duplicate(), c.writeStart, c.writeEnd, c.writeChecksum, c));
        c.writing = null;
        if (!c.clientReset && !c.clientClosed) {
            if (c.up.unread() > 0) {
                c.resetByServer = true; // unread input: the peer sees RST, not FIN
                c.down.discard();
                net.wakeClient(c, now);
            } else {
                net.wakeClient(c, c.down.shutdown(net.arrival(c)));
            }
        }
        net.roomMade(c); // a client waiting to send finds the connection gone
        observer.closed(handle, c);
    }

    private final List<SimNetwork.Listener> pendingUnbind = new ArrayList<>();

    @Override
    public int poll(long timeoutNanos, Handler handler) throws IOException {
        enter("poll");
        synchronized (net) {
            Contract.checkOpen(closed);
            if (inPoll) {
                throw Contract.nestedPoll();
            }
            inPoll = true;
            try {
                polls++;
                observer.pollStarted(net.now());
                releaseRetired();
                if (net.realTime) {
                    waitRealTime(timeoutNanos);
                } else {
                    waitVirtual(timeoutNanos);
                }
                int delivered = deliverReady(handler);
                if (delivered == 0) {
                    emptyPolls++;
                }
                observer.pollReturned(net.now(), delivered);
                return delivered;
            } finally {
                inPoll = false;
            }
        }
    }

    @Override
    public void wakeup() {
        synchronized (net) {
            wakeup = true;
            if (net.realTime) {
                net.notifyAll();
            }
        }
    }

    @Override
    public int openHandles() {
        enter("openHandles");
        synchronized (net) {
            return closed ? 0 : table.size();
        }
    }

    @Override
    public void close() {
        enter("close");
        synchronized (net) {
            if (closed) {
                return;
            }
            for (Object o : List.copyOf(live)) {
                closeHandle(o instanceof SimNetwork.Listener l ? l.handle : ((SimConnection) o).handle);
            }
            for (SimNetwork.Listener l : pendingUnbind) {
                net.unbind(l);
            }
            pendingUnbind.clear();
            closed = true;
            net.notifyAll();
        }
    }

    // ---------------------------------------------------------------- waiting

    private void waitVirtual(long timeout) {
        long now = net.now();
        checkSpin(now);
        boolean forever = timeout < 0;
        long deadline = now + Math.max(0, timeout);
        net.runDue(now);
        gather(now);
        Faults f = net.faults();
        while (ready.isEmpty() && !wakeup && timeout != 0 && (forever || deadline - now > 0)) {
            long target;
            if (net.hasScheduled()) {
                long next = net.nextScheduled();
                target = forever || next - deadline < 0 ? next : deadline;
            } else if (forever) {
                throw new SimFailure("poll(WAIT_FOREVER) with nothing left to happen: the server would sleep for ever");
            } else {
                target = deadline;
            }
            if (f.earlyPolls() && !forever && target - now > 1 && net.random.nextDouble() < f.earlyRate()) {
                now += 1 + net.random.nextLong(target - now - 1); // a spurious wake-up, before the deadline
                earlyReturns++;
                net.advanceTo(now);
                net.runDue(now);
                gather(now);
                break;
            }
            now = target;
            net.advanceTo(now);
            net.runDue(now);
            gather(now);
        }
        if (f.pauses() && timeout != 0 && net.random.nextDouble() < f.pauseRate()) {
            now += 1 + net.random.nextLong(f.pauseMaxNanos()); // the loop thread was not scheduled (GC, VM)
            net.trace.event(now, "pause", 0, 0);
            pauses++;
            net.advanceTo(now);
            net.runDue(now);
            gather(now);
        }
        wakeup = false;
    }

    private void checkSpin(long now) {
        if (now != spinStart) {
            spinStart = now;
            spinPolls = 0;
        } else if (++spinPolls > SPIN_LIMIT) {
            throw new SimFailure("busy loop: " + SPIN_LIMIT + " polls without virtual time moving");
        }
    }

    private void waitRealTime(long timeout) throws IOException {
        long deadline = System.nanoTime() + Math.max(0, timeout);
        gather(net.now());
        try {
            while (ready.isEmpty() && !wakeup && timeout != 0) {
                if (timeout < 0) {
                    net.wait();
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    net.wait(left / 1_000_000, (int) (left % 1_000_000));
                }
                gather(net.now());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted in poll");
        }
        wakeup = false;
    }

    // ---------------------------------------------------------------- completions

    /**
     * Moves writes forward and collects every listener and connection with a result ready, in order
     * of opening. In virtual time only those touched since the last gather can have changed: every
     * change to a socket touches it (the server's calls, the clients' actions, bytes or a FIN
     * arriving, a delivery), and one looked at and found without a result or a write to move stays so
     * until touched again (a write moves as far as the window lets it; a receive touches). A socket
     * found ready stays touched until it was delivered.
     */
    private void gather(long now) {
        ready.clear();
        if (net.realTime) {
            gatherAll(now);
            return;
        }
        List<SimSocket> touched = net.touched;
        int n = touched.size();
        for (int i = 1; i < n; i++) { // insertion sort by order of opening: a handful, mostly in order
            SimSocket s = touched.get(i);
            int j = i - 1;
            while (j >= 0 && touched.get(j).opened > s.opened) {
                touched.set(j + 1, touched.get(j));
                j--;
            }
            touched.set(j + 1, s);
        }
        int kept = 0;
        for (int i = 0; i < n; i++) {
            SimSocket s = touched.get(i);
            boolean result;
            if (s instanceof SimNetwork.Listener l) {
                result = l.handle != Handles.NONE && l.acceptArmed && !l.pending.isEmpty();
            } else {
                SimConnection c = (SimConnection) s;
                if (c.accepted && !c.serverClosed) {
                    progressWrite(c);
                    result = hasResult(c, now);
                } else {
                    result = false;
                }
            }
            if (result) {
                ready.add(s);
                touched.set(kept++, s);
            } else {
                s.touched = false;
            }
        }
        for (int i = n - 1; i >= kept; i--) {
            touched.remove(i);
        }
    }

    /** {@link #gather} looking at every listener and connection (real time: other threads change them). */
    private void gatherAll(long now) {
        for (int i = 0, n = live.size(); i < n; i++) {
            Object o = live.get(i);
            if (o instanceof SimNetwork.Listener l) {
                if (l.acceptArmed && !l.pending.isEmpty()) {
                    ready.add(l);
                }
            } else {
                SimConnection c = (SimConnection) o;
                progressWrite(c);
                if (hasResult(c, now)) {
                    ready.add(c);
                }
            }
        }
    }

    private void progressWrite(SimConnection c) {
        ByteBuffer src = c.writing;
        if (src == null || !src.hasRemaining() || c.peerGone() || c.errorDelivered) {
            return;
        }
        int n = Math.min(c.down.space(), src.remaining());
        if (n == 0) {
            return;
        }
        if ((++progressSteps & 15) == 0) {
            verifyWriteBuffer(c, "while the backend was sending it"); // every 16th step: a full check costs a CRC of the buffer
        }
        long at = c.down.write(src, n, net.arrival(c));
        net.wakeClient(c, at);
    }

    private static boolean failedByPeer(SimConnection c) {
        return !c.errorDelivered && (c.clientReset && (c.readArmed || c.writing != null)
                || c.clientClosed && c.writing != null && c.writing.hasRemaining());
    }

    private static boolean hasResult(SimConnection c, long now) {
        return c.writing != null && !c.writing.hasRemaining() && !c.errorDelivered
                || failedByPeer(c)
                || c.readArmed && (c.up.available(now) > 0 || c.up.atEnd(now));
    }

    private int deliverReady(Handler handler) {
        if (ready.isEmpty()) {
            return 0;
        }
        if (!net.realTime) {
            for (int i = ready.size() - 1; i > 0; i--) {
                int j = net.random.nextInt(i + 1);
                Object t = ready.get(i);
                ready.set(i, ready.get(j));
                ready.set(j, t);
            }
        }
        int n = ready.size();
        if (batch.length < n) {
            batch = new SimSocket[Math.max(n, 2 * batch.length)];
        }
        for (int i = 0; i < n; i++) {
            batch[i] = (SimSocket) ready.get(i);
        }
        ready.clear();
        int delivered = 0;
        for (int i = 0; i < n; i++) {
            SimSocket s = batch[i];
            batch[i] = null;
            delivered += s instanceof SimNetwork.Listener l ? deliverAccepts(l, handler) : deliver((SimConnection) s, handler);
            net.touch(s); // it may have more (or, closed, is dropped at the next gather)
        }
        return delivered;
    }

    private int deliverAccepts(SimNetwork.Listener l, Handler handler) {
        int delivered = 0;
        long now = net.now();
        while (l.acceptArmed && !l.pending.isEmpty() && table.get(l.handle) == l) {
            Faults f = net.faults();
            if (f.emfile() && net.random.nextDouble() < f.emfileRate()) {
                l.acceptArmed = false; // the connection stays queued, as in the kernel
                delivered++;
                callback(Op.ACCEPT_ERROR, l.handle, null, 0, handler, BackendException.ofErrno("accept", EMFILE));
                break;
            }
            SimConnection c = l.pending.poll();
            if (c.clientReset) {
                continue; // reset while queued: the kernel drops it
            }
            int handle = table.add(c);
            if (handle == Handles.NONE) {
                l.acceptArmed = false;
                c.serverClosed = true;
                net.wakeClient(c, c.down.shutdown(net.arrival(c)));
                delivered++;
                callback(Op.ACCEPT_ERROR, l.handle, null, 0, handler,
                        BackendException.outOfHandles("connection closed", table.capacity()));
                break;
            }
            c.handle = handle;
            c.accepted = true;
            c.opened = opened++;
            live.add(c);
            net.touch(c);
            net.trace.event(now, "accepted", c.id, handle);
            delivered++;
            callback(Op.ACCEPT, l.handle, c, handle, handler, null);
        }
        return delivered;
    }

    private int deliver(SimConnection c, Handler handler) {
        int h = c.handle;
        long now = net.now();
        int delivered = 0;
        if (table.get(h) != c) {
            return 0;
        }
        if (c.writing != null && !c.writing.hasRemaining() && !c.errorDelivered) {
            verifyWriteBuffer(c, "before onWritten");
            c.writing = null;
            delivered++;
            callback(Op.WRITTEN, h, c, c.writeEnd - c.writeStart, handler, null);
            if (table.get(h) != c) {
                return delivered;
            }
        }
        if (failedByPeer(c)) {
            BackendException error = peerError(c); // names the receive or the send: before they are cleared
            c.errorDelivered = true;
            c.readArmed = false;
            c.writing = null; // the caller's again (onError)
            delivered++;
            callback(Op.ERROR, h, c, 0, handler, error);
            return delivered;
        }
        if (!c.readArmed) {
            return delivered;
        }
        int available = c.up.available(now);
        if (available > 0) {
            int slot = Handles.slot(h);
            ByteBuffer buffer = readBuffers[slot];
            if (buffer == null) {
                buffer = ByteBuffer.allocateDirect(config.readBufferSize());
                readBuffers[slot] = buffer;
                readViews[slot] = buffer.asReadOnlyBuffer();
            }
            int n = Math.min(available, config.readBufferSize());
            Faults f = net.faults();
            if (f.splitReads() && n > 1 && net.random.nextDouble() < f.splitRate()) {
                n = 1 + net.random.nextInt(n);
            }
            buffer.clear();
            c.up.read(buffer, n, now);
            if (net.realTime) {
                net.notifyAll(); // room in the window: a peer blocked in send() may go on
            } else {
                net.roomMade(c);
            }
            c.readArmed = false;
            ByteBuffer view = readViews[slot];
            view.limit(n).position(0);
            delivered++;
            net.trace.data(checksumOwn(buffer, n));
            callback(Op.READ, h, c, n, handler, view);
            buffer.put(0, scribbles, 0, n); // a view kept past the callback now reads garbage
            return delivered;
        }
        if (c.up.atEnd(now) && !c.eofDelivered) {
            c.eofDelivered = true;
            c.readArmed = false;
            delivered++;
            callback(Op.EOF, h, c, 0, handler, null);
        }
        return delivered;
    }

    private void callback(Op op, int handle, SimConnection c, int bytes, Handler handler, Object extra) {
        long now = net.now();
        net.trace.event(now, op.name(), c == null ? handle : c.id, bytes);
        observer.delivering(op, handle, c, bytes);
        switch (op) {
            case ACCEPT -> handler.onAccept(handle, bytes);
            case ACCEPT_ERROR -> handler.onAcceptError(handle, (IOException) extra);
            case READ -> handler.onRead(handle, (ByteBuffer) extra);
            case EOF -> handler.onEof(handle);
            case WRITTEN -> handler.onWritten(handle);
            case ERROR -> handler.onError(handle, (IOException) extra);
        }
        observer.delivered(op, handle, c, bytes);
    }

    // ---------------------------------------------------------------- slots and buffers

    private void releaseRetired() {
        if (!pendingUnbind.isEmpty()) {
            for (SimNetwork.Listener l : pendingUnbind) {
                net.unbind(l);
            }
            pendingUnbind.clear();
        }
        for (int i = 0; i < retired.size(); i++) {
            Retired r = retired.get(i);
            if (r.held != null) {
                long now = checksum(r.held, r.start, r.end);
                if (now != r.checksum) {
                    throw new SimFailure("buffer of a write in flight on closed " + r.c
                            + " was modified after close(), while the kernel may still read it: the Backend contract"
                            + " gives it back at close(), which IoUringBackend ensures by cancelling the send first, but a"
                            + " completion backend whose cancel completes later would still be sending it (this check is"
                            + " stricter than the contract on purpose)");
                }
            }
            if (--r.pollsLeft <= 0) {
                table.release(r.slot);
                retired.set(i, retired.get(retired.size() - 1));
                retired.remove(retired.size() - 1);
                i--;
            }
        }
    }

    private void verifyWriteBuffer(SimConnection c, String when) {
        if (checksum(c.writing, c.writeStart, c.writeEnd) != c.writeChecksum) {
            throw new SimFailure("buffer of the write in flight on " + c + " was modified " + when
                    + ": it belongs to the backend from write() until onWritten");
        }
    }

    /** CRC32C of the first {@code n} bytes of one of the backend's own buffers (moves its position). */
    private long checksumOwn(ByteBuffer b, int n) {
        crc.reset();
        b.limit(n).position(0);
        crc.update(b);
        return crc.getValue();
    }

    /**
     * What a Linux kernel reports when the peer is gone: after its RST, ECONNRESET to the armed
     * receive (or to the send in flight); after its FIN with a send still unfinished, EPIPE (the
     * kernel's answer once the peer's RST for the unwanted bytes came back).
     */
    private static BackendException peerError(SimConnection c) {
        if (c.clientReset) {
            return BackendException.ofErrno(c.readArmed ? "recv" : "send", ECONNRESET);
        }
        return BackendException.ofErrno("send", EPIPE);
    }

    /**
     * CRC32C of {@code b[start, end)}, leaving {@code b} as it is: the CRC reads a view of those
     * bytes in place (a copy of a 16 KiB chunk cost more than the view), so the position and limit
     * the caller or the sending use are untouched.
     */
    private long checksum(ByteBuffer b, int start, int end) {
        ByteBuffer bytes = end > b.limit()
                ? b.duplicate().limit(end).position(start) // the owner moved its limit: only the bytes count
                : b.slice(start, end - start);
        crc.reset();
        crc.update(bytes);
        return crc.getValue();
    }

    /** The loop-thread check, before taking the network's lock: another thread changes nothing and never waits. */
    private void enter(String method) {
        Contract.checkThread(owner, method);
    }
}
