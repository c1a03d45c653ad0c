package dev.oneloop.backend.readiness;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.BackendException;
import dev.oneloop.backend.Handles;
import dev.oneloop.backend.internal.AbstractBackend;
import dev.oneloop.backend.internal.Contract;
import dev.oneloop.backend.readiness.Endpoint.Connection;
import dev.oneloop.backend.readiness.Endpoint.Listener;
import dev.oneloop.backend.readiness.Endpoint.Read;
import dev.oneloop.backend.readiness.Endpoint.Write;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.function.Consumer;

/**
 * The {@link Backend} contract on a readiness {@link Mechanism}: readiness turned into
 * completions, the way Boost.Asio's reactor and TigerBeetle's kqueue loop do it, written once for
 * the {@code nio} and {@code epoll} backends.
 *
 * <p><b>A turn.</b> {@code poll} gives the mechanism the interest that changed since the last turn,
 * waits (not at all if work is known to be waiting), then serves the endpoints on the <em>work
 * queue</em> (those the mechanism reported ready, or that an application call made able to
 * progress) and finally delivers the <em>completion queue</em> (writes that ended inside
 * {@code write()}). The syscalls and callbacks run on this class's stack after the mechanism's wait
 * returned, never inside it, so an application's exception is never swallowed by a mechanism's loop.
 *
 * <p><b>Reads.</b> A receive is one-shot. Readiness is remembered ({@link Endpoint#readiness}), so
 * a connection can stay readable with no receive armed; {@code read} then queues it, since no new
 * readiness may come for bytes that already wait. A read shorter than the buffer empties the
 * socket's queue, and on an edge-triggered mechanism every byte arriving later raises a new edge:
 * the short read clears {@code READABLE} as well as {@code EAGAIN} would, minus one {@code recv} per
 * message. Not once the peer shut down its side: its FIN raises no edge of its own, so the core then
 * reads on to end of stream. A connection completes at most {@link #READS_PER_TURN} receives and a
 * listener {@link #ACCEPTS_PER_TURN} accepts per turn before the others get theirs.
 *
 * <p><b>Writes</b> are tried at once (speculatively, as Asio does): most fit the socket buffer and
 * never wait for {@code WRITABLE}; {@code onWritten} is still delivered by {@code poll}, in the same
 * turn. Interest in {@code WRITE} exists only while a write waits for room.
 *
 * <p><b>No allocation per message:</b> one direct read buffer and a read-only view of it serve every
 * connection; the queues are intrusive; interest changes are applied lazily before the wait, so a
 * handler that disarms and re-arms a read in one turn costs the mechanism nothing.
 *
 * @param <S> the mechanism's socket
 */
public final class ReadinessBackend<S> extends AbstractBackend<Endpoint<S>, Listener<S>, Connection<S>> {

    /** Receives a connection may complete in one turn before others get theirs (fairness). */
    public static final int READS_PER_TURN = 16;
    /** Connections a listener may accept in one turn before other handles get served. */
    public static final int ACCEPTS_PER_TURN = 64;

    private final Mechanism<S> mechanism;
    private final ByteBuffer readBuffer;
    /** The handler's window onto {@link #readBuffer}; only its position and limit change per read. */
    private final ByteBuffer readView;
    /** Endpoints that can progress without waiting: served after the wait. */
    private final IntrusiveQueue<Endpoint<S>> work = new IntrusiveQueue<>("work") {
        @Override Endpoint<S> next(Endpoint<S> e) { return e.nextWork; }
        @Override void setNext(Endpoint<S> e, Endpoint<S> next) { e.nextWork = next; }
        @Override boolean isQueued(Endpoint<S> e) { return e.inWork; }
        @Override void setQueued(Endpoint<S> e, boolean queued) { e.inWork = queued; }
    };
    /** Connections whose write ended inside {@code write()}: delivered at the end of the turn. */
    private final IntrusiveQueue<Connection<S>> completions = new IntrusiveQueue<>("completions") {
        @Override Connection<S> next(Connection<S> c) { return c.nextCompletion; }
        @Override void setNext(Connection<S> c, Connection<S> next) { c.nextCompletion = next; }
        @Override boolean isQueued(Connection<S> c) { return c.inCompletions; }
        @Override void setQueued(Connection<S> c, boolean queued) { c.inCompletions = queued; }
    };
    /** Endpoints whose interest may differ from the mechanism's: applied before the wait. */
    private final IntrusiveQueue<Endpoint<S>> interestChanges = new IntrusiveQueue<>("interest") {
        @Override Endpoint<S> next(Endpoint<S> e) { return e.nextInterest; }
        @Override void setNext(Endpoint<S> e, Endpoint<S> next) { e.nextInterest = next; }
        @Override boolean isQueued(Endpoint<S> e) { return e.inInterest; }
        @Override void setQueued(Endpoint<S> e, boolean queued) { e.inInterest = queued; }
    };
    private final Consumer<Endpoint<S>> serve = this::serve;
    private final Consumer<Connection<S>> complete = this::complete;
    private final Consumer<Endpoint<S>> applyInterest = this::applyInterest;

    /** The handler of the {@code poll} in progress, {@code null} outside poll. */
    private Handler handler;
    private int delivered;
    /** The endpoint being served; {@code read()} on it needs no queueing. */
    private Endpoint<S> servicing;

    /**
     * A backend on {@code mechanism}, confined to the calling thread; closes the mechanism if it
     * cannot be built.
     */
    public ReadinessBackend(Mechanism<S> mechanism, BackendConfig config) {
        super(config.maxHandles(), listenerType(), connectionType());
        this.mechanism = mechanism;
        try {
            readBuffer = ByteBuffer.allocateDirect(config.readBufferSize());
        } catch (RuntimeException | Error e) {
            mechanism.close();
            throw e;
        }
        readView = readBuffer.asReadOnlyBuffer();
    }

    /** The mechanism underneath, for its own tests. */
    public Mechanism<S> mechanism() {
        return mechanism;
    }

    @Override
    public String name() {
        return mechanism.name();
    }

    @Override
    protected int bind(InetSocketAddress address, boolean ipv6, int backlog) throws IOException {
        S socket;
        try {
            socket = mechanism.listen(address, ipv6, backlog);
        } catch (IOException e) {
            throw BackendException.of("listen on " + address, e);
        }
        Listener<S> listener = new Listener<>(this, socket);
        int handle = endpoints.add(listener);
        listener.handle = handle;
        try {
            mechanism.register(socket, listener);
        } catch (IOException e) {
            endpoints.remove(handle);
            release(listener);
            throw BackendException.of("register " + address, e);
        } catch (RuntimeException e) {
            endpoints.remove(handle);
            release(listener);
            throw e;
        }
        return handle;
    }

    @Override
    protected InetSocketAddress localAddress(Endpoint<S> endpoint) throws IOException {
        try {
            return mechanism.localAddress(endpoint.socket);
        } catch (IOException e) {
            throw BackendException.of("getsockname of " + Handles.toString(endpoint.handle), e);
        }
    }

    @Override
    protected void armAccept(Listener<S> l) {
        if (l.read == Read.DISARMED) {
            l.read = Read.ARMED;
            // After EMFILE or maxHandles the backlog may still hold connections whose readiness was
            // consumed: only a new connection would raise more, so try at once.
            if (l.isReadable()) {
                queueWork(l);
            } else {
                interestChanged(l);
            }
        }
    }

    @Override
    protected void armRead(Connection<S> c) {
        // After end of stream there is nothing left to receive: onEof is delivered once.
        if (c.read == Read.DISARMED) {
            c.read = Read.ARMED;
            if (!c.isReadable()) {
                interestChanged(c);
            } else if (servicing != c) {
                queueWork(c); // bytes left by an earlier one-shot receive raise no new readiness
            }
        }
    }

    @Override
    protected void startWrite(Connection<S> c, int connection, ByteBuffer src) {
        if (c.write != Write.IDLE) {
            throw Contract.writeInFlight(connection);
        }
        c.writeBuffer = src;
        c.write = Write.SENDING;
        try {
            sendSome(c);
        } catch (IOException e) {
            c.writeError = BackendException.of("send", e);
            queueCompletion(c);
            return;
        }
        if (src.hasRemaining()) {
            interestChanged(c);
        } else {
            queueCompletion(c);
        }
    }

    @Override
    protected void closeEndpoint(int handle, Endpoint<S> endpoint) {
        endpoints.release(Handles.slot(handle)); // nothing of the kernel's refers to it
        release(endpoint);
    }

    @Override
    protected int doPoll(long timeoutNanos, Handler pollHandler) throws IOException {
        handler = pollHandler;
        delivered = 0;
        try {
            interestChanges.drainQueued(applyInterest);
            boolean pending = delivered > 0 || !work.isEmpty() || !completions.isEmpty();
            mechanism.await(pending ? NO_WAIT : timeoutNanos);
            // Only what is queued now: endpoints queued while these are served wait a turn, which
            // then does not block.
            work.drainQueued(serve);
            completions.drainQueued(complete);
        } finally {
            servicing = null;
            handler = null;
        }
        return delivered;
    }

    @Override
    public void wakeup() {
        mechanism.wakeup(); // a closed mechanism ignores it, so another thread needs no check that could race
    }

    @Override
    protected void shutDown() {
        work.clear();
        completions.clear();
        interestChanges.clear();
        mechanism.close();
    }

    // ------------------------------------------------------------------ called by Endpoint.ready

    void queueWork(Endpoint<S> endpoint) {
        work.offer(endpoint);
    }

    // ------------------------------------------------------------------ inside poll

    private void serve(Endpoint<S> endpoint) {
        if (closed || endpoint.closed) {
            return;
        }
        servicing = endpoint;
        if (endpoint instanceof Connection<S> c) {
            serve(c);
        } else {
            serve((Listener<S>) endpoint);
        }
        servicing = null;
    }

    private void serve(Listener<S> l) {
        for (int accepted = 0; accepted < ACCEPTS_PER_TURN; accepted++) {
            if (closed || l.closed || !l.canProgress()) {
                return;
            }
            S socket;
            try {
                socket = mechanism.accept(l.socket);
            } catch (IOException e) {
                stopAccepting(l, BackendException.of("accept", e)); // EMFILE and the like: the application decides when to retry
                return;
            }
            if (socket == null) {
                l.readiness &= ~Mechanism.READABLE; // EAGAIN: the next connection raises new readiness
                interestChanged(l);
                return;
            }
            acceptOne(l, socket);
        }
        if (!closed && !l.closed && l.canProgress()) {
            queueWork(l);
        }
    }

    private void acceptOne(Listener<S> l, S socket) {
        if (endpoints.size() == endpoints.capacity()) {
            mechanism.close(socket);
            stopAccepting(l, BackendException.outOfHandles("connection closed", endpoints.capacity()));
            return;
        }
        Connection<S> c = new Connection<>(this, socket);
        int handle = endpoints.add(c);
        c.handle = handle;
        try {
            // Registering reports what is ready already, so bytes sent before this are not missed.
            mechanism.register(socket, c);
        } catch (IOException e) {
            endpoints.remove(handle);
            release(c);
            stopAccepting(l, BackendException.of("register an accepted connection", e));
            return;
        }
        delivered++;
        handler.onAccept(l.handle, handle);
    }

    private void stopAccepting(Listener<S> l, IOException error) {
        l.read = Read.DISARMED;
        interestChanged(l);
        delivered++;
        handler.onAcceptError(l.handle, error);
    }

    private void serve(Connection<S> c) {
        if (c.write == Write.SENDING && c.isWritable()) {
            continueWrite(c);
        }
        for (int reads = 0; reads < READS_PER_TURN; reads++) {
            if (closed || c.closed || c.read != Read.ARMED || !c.isReadable()) {
                return;
            }
            receive(c);
        }
        if (!closed && !c.closed && c.canProgress()) {
            queueWork(c); // fairness: the rest next turn, which will not block
        }
    }

    private void receive(Connection<S> c) {
        int n;
        try {
            n = mechanism.receive(c.socket, readBuffer.clear());
        } catch (IOException e) {
            fail(c, BackendException.of("recv", e));
            return;
        }
        if (n == 0) {
            c.readiness &= ~Mechanism.READABLE; // EAGAIN: the next bytes raise new readiness
            interestChanged(c);
            return;
        }
        delivered++;
        if (n < 0) {
            c.read = Read.ENDED;
            c.readiness &= ~Mechanism.READABLE;
            interestChanged(c);
            handler.onEof(c.handle);
            return;
        }
        c.read = Read.DISARMED;
        if (n < readBuffer.capacity() && (c.readiness & Mechanism.PEER_SHUTDOWN) == 0) {
            c.readiness &= ~Mechanism.READABLE; // a short read emptied the queue (see the class comment)
        }
        interestChanged(c);
        readView.clear().limit(n);
        handler.onRead(c.handle, readView);
    }

    private void continueWrite(Connection<S> c) {
        try {
            sendSome(c);
        } catch (IOException e) {
            fail(c, BackendException.of("send", e));
            return;
        }
        if (!c.writeBuffer.hasRemaining()) {
            c.writeBuffer = null;
            c.write = Write.IDLE;
            interestChanged(c);
            delivered++;
            handler.onWritten(c.handle);
        }
    }

    /** Delivers the result of a write that ended inside {@code write()}. */
    private void complete(Connection<S> c) {
        if (closed || c.closed) {
            return;
        }
        IOException error = c.writeError;
        c.writeError = null;
        c.writeBuffer = null;
        c.write = Write.IDLE;
        if (error != null) {
            fail(c, error);
        } else {
            delivered++;
            handler.onWritten(c.handle);
        }
    }

    /** Ends whatever is armed or unfinished on {@code c} with one onError: the connection is done for. */
    private void fail(Connection<S> c, IOException error) {
        if (c.read == Read.ARMED) {
            c.read = Read.DISARMED;
        }
        if (c.write == Write.SENDING) { // a DONE write keeps its place in the completion queue
            c.write = Write.IDLE;
            c.writeBuffer = null;
        }
        interestChanged(c);
        delivered++;
        handler.onError(c.handle, error);
    }

    private void applyInterest(Endpoint<S> endpoint) {
        if (closed || endpoint.closed) {
            return;
        }
        int wanted = endpoint.wantedInterest();
        if (wanted == endpoint.interest) {
            return;
        }
        try {
            mechanism.interest(endpoint.socket, wanted);
            endpoint.interest = wanted;
        } catch (IOException e) {
            BackendException error = BackendException.of("change interest", e);
            if (endpoint instanceof Connection<S> c) {
                fail(c, error);
            } else {
                stopAccepting((Listener<S>) endpoint, error);
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private void sendSome(Connection<S> c) throws IOException {
        ByteBuffer src = c.writeBuffer;
        while (src.hasRemaining()) {
            if (mechanism.send(c.socket, src) == 0) {
                c.readiness &= ~Mechanism.WRITABLE; // EAGAIN: WRITABLE reports the room
                return;
            }
        }
    }

    private void queueCompletion(Connection<S> c) {
        c.write = Write.DONE;
        completions.offer(c);
    }

    private void interestChanged(Endpoint<S> endpoint) {
        interestChanges.offer(endpoint);
    }

    /** Closes the socket and forgets the endpoint; no callback for it follows. */
    private void release(Endpoint<S> endpoint) {
        endpoint.closed = true;
        endpoint.read = Read.DISARMED;
        if (endpoint instanceof Connection<S> c) {
            c.write = Write.IDLE;
            c.writeBuffer = null;
            c.writeError = null;
        }
        mechanism.close(endpoint.socket);
    }

    @SuppressWarnings("unchecked") // the class of a generic type
    private static <S> Class<Listener<S>> listenerType() {
        return (Class<Listener<S>>) (Class<?>) Listener.class;
    }

    @SuppressWarnings("unchecked")
    private static <S> Class<Connection<S>> connectionType() {
        return (Class<Connection<S>>) (Class<?>) Connection.class;
    }
}
