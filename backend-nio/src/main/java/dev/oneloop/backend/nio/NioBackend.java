package dev.oneloop.backend.nio;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.HandleTable;
import dev.oneloop.backend.Handles;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Backend} on a JDK {@link Selector}: readiness turned into completions, the way Boost.Asio's
 * reactor and TigerBeetle's kqueue loop do it. An armed operation is interest in a key; when the
 * selector reports readiness, {@code poll} does the non-blocking {@code accept}, {@code read} or
 * {@code write} itself and reports the result.
 *
 * <p>Nothing is allocated per message: one direct read buffer and its read-only view serve every
 * connection, pending write completions and interest changes are queued through fields of the
 * connections themselves, and selection uses {@link Selector#select(Consumer, long)}, which visits
 * ready keys without the selected-key set and its iterator. Interest changes are applied lazily
 * just before the next select, so a handler that re-arms a read inside {@code onRead}, or an echo
 * that re-arms it in the next turn's {@code onWritten}, costs no {@code epoll_ctl}.
 */
final class NioBackend implements Backend {

    static final String NAME = "nio";

    private static final Logger LOG = LoggerFactory.getLogger(NioBackend.class);

    private final Selector selector;
    private final HandleTable<Registration> handles;
    private final ByteBuffer readBuffer;
    /** The handler's window onto {@link #readBuffer}; only its position and limit change per read. */
    private final ByteBuffer readView;
    private final Consumer<SelectionKey> dispatcher = this::dispatch;

    /** The handler of the {@code poll} in progress. */
    private Handler handler;
    private int delivered;
    /** Writes that ended inside {@code write()}, reported by the next poll (FIFO through {@link Connection#nextCompleted}). */
    private Connection completedHead;
    private Connection completedTail;
    /** Registrations whose key interest may be stale (a stack through {@link Registration#nextDirty}). */
    private Registration dirtyHead;
    private boolean closed;

    NioBackend(BackendConfig config) throws IOException {
        selector = Selector.open();
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
        ServerSocketChannel channel = ServerSocketChannel.open();
        int handle = Handles.NONE;
        try {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            channel.bind(address, backlog);
            channel.configureBlocking(false);
            Listener listener = new Listener(channel);
            handle = handles.add(listener);
            if (handle == Handles.NONE) {
                throw new IOException("cannot listen on " + address + ": all " + handles.capacity() + " handles (maxHandles) are in use");
            }
            listener.handle = handle;
            listener.key = channel.register(selector, 0, listener);
            return handle;
        } catch (IOException | RuntimeException e) {
            if (handle != Handles.NONE) {
                handles.remove(handle);
            }
            closeQuietly(channel, handle);
            throw e;
        }
    }

    @Override
    public InetSocketAddress localAddress(int handle) throws IOException {
        Registration registration = handles.get(handle);
        if (registration == null) {
            throw stale(handle);
        }
        return (InetSocketAddress) registration.channel().getLocalAddress();
    }

    @Override
    public void accept(int listener) {
        Listener l = listener(listener);
        if (!l.acceptArmed) {
            l.acceptArmed = true;
            markDirty(l);
        }
    }

    @Override
    public void read(int connection) {
        Connection c = connection(connection);
        // After end of stream there is nothing left to receive: onEof is delivered once.
        if (!c.readArmed && !c.eof) {
            c.readArmed = true;
            markDirty(c);
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
        // Speculative, as Asio does: most writes fit the socket buffer and never wait for OP_WRITE.
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
            if (closed) {
                return delivered;
            }
            applyInterest();
            if (delivered > 0 || completedHead != null || timeoutNanos == NO_WAIT) {
                selector.selectNow(dispatcher);
            } else if (timeoutNanos < 0) {
                selector.select(dispatcher);
            } else {
                selector.select(dispatcher, ceilMillis(timeoutNanos));
            }
            // Writes the handlers finished speculatively during this turn (an echo's) complete now,
            // not in a turn of their own: that would cost one more epoll_wait per message.
            deliverCompletions();
        } catch (ClosedSelectorException e) {
            if (!closed) {
                throw e;
            }
            // The handler closed the backend from inside a callback: this poll simply ends.
        } finally {
            handler = null;
        }
        return delivered;
    }

    @Override
    public void wakeup() {
        selector.wakeup(); // a closed Selector ignores it, so another thread needs no check that could race
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
        completedHead = null;
        completedTail = null;
        dirtyHead = null;
        try {
            selector.close(); // flushes the cancelled keys, which finishes the deferred channel closes
        } catch (IOException e) {
            LOG.atWarn().setCause(e).log("closing the selector failed");
        }
    }

    // ------------------------------------------------------------------ inside poll

    private void dispatch(SelectionKey key) {
        Registration registration = (Registration) key.attachment();
        if (registration.closed) {
            return; // closed by an earlier callback of this same select
        }
        if (registration instanceof Connection c) {
            int ready = key.readyOps();
            if ((ready & SelectionKey.OP_WRITE) != 0 && c.writing != null && !c.queued) {
                continueWrite(c);
            }
            if ((ready & SelectionKey.OP_READ) != 0 && c.readArmed && !c.closed) {
                receive(c);
            }
        } else {
            acceptAll((Listener) registration);
        }
    }

    private void acceptAll(Listener listener) {
        while (listener.acceptArmed && !listener.closed) {
            SocketChannel channel;
            try {
                channel = listener.channel.accept();
            } catch (IOException e) {
                stopAccepting(listener, e); // EMFILE and the like: the application decides when to retry
                return;
            }
            if (channel == null) {
                return;
            }
            try {
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            } catch (IOException e) {
                // The peer is typically gone already; that is its connection's problem, not the listener's.
                LOG.atDebug().addKeyValue("listener", Handles.toString(listener.handle)).setCause(e)
                        .log("dropping a connection that could not be set up");
                closeQuietly(channel, Handles.NONE);
                continue;
            }
            Connection connection = new Connection(channel);
            int handle = handles.add(connection);
            if (handle == Handles.NONE) {
                closeQuietly(channel, Handles.NONE);
                stopAccepting(listener, new IOException("connection closed: all " + handles.capacity()
                        + " handles (maxHandles) are in use"));
                return;
            }
            connection.handle = handle;
            try {
                connection.key = channel.register(selector, 0, connection);
            } catch (IOException e) {
                handles.remove(handle);
                closeQuietly(channel, handle);
                stopAccepting(listener, e);
                return;
            }
            delivered++;
            handler.onAccept(listener.handle, handle);
        }
    }

    private void stopAccepting(Listener listener, IOException error) {
        listener.acceptArmed = false;
        markDirty(listener);
        delivered++;
        handler.onAcceptError(listener.handle, error);
    }

    private void receive(Connection c) {
        readBuffer.clear();
        int n;
        try {
            n = c.channel.read(readBuffer);
        } catch (IOException e) {
            fail(c, e);
            return;
        }
        if (n == 0) {
            return; // readiness without data: stay armed
        }
        c.readArmed = false;
        markDirty(c);
        delivered++;
        if (n < 0) {
            c.eof = true;
            handler.onEof(c.handle);
        } else {
            readView.clear().limit(n);
            handler.onRead(c.handle, readView);
        }
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
        if (!c.queued) {
            c.writing = null;
        }
        markDirty(c);
        delivered++;
        handler.onError(c.handle, error);
    }

    private void deliverCompletions() {
        // Only what was queued before this turn: a handler that writes from onWritten again must
        // not keep this poll from ever reaching the selector.
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
            if (!registration.closed) {
                int wanted = registration.wantedOps();
                if (wanted != registration.interestOps) {
                    registration.key.interestOps(wanted);
                    registration.interestOps = wanted;
                }
            }
            registration = next;
        }
    }

    // ------------------------------------------------------------------ helpers

    private static void writeSome(Connection c) throws IOException {
        ByteBuffer src = c.writing;
        while (src.hasRemaining() && c.channel.write(src) > 0) {
            // keep going until the socket buffer is full or everything is written
        }
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

    private void markDirty(Registration registration) {
        if (!registration.dirty) {
            registration.dirty = true;
            registration.nextDirty = dirtyHead;
            dirtyHead = registration;
        }
    }

    private void closeRegistration(Registration registration) {
        registration.closed = true;
        if (registration.key != null) {
            registration.key.cancel();
        }
        if (registration instanceof Connection c) {
            c.readArmed = false;
            c.writing = null;
            c.writeError = null;
        }
        // A registered SocketChannel shuts its output down now (the peer sees FIN at once) and
        // releases the descriptor when the selector flushes the cancelled key, at the next select.
        closeQuietly(registration.channel(), registration.handle);
    }

    private static void closeQuietly(NetworkChannel channel, int handle) {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.atDebug().addKeyValue("handle", Handles.toString(handle)).setCause(e).log("close failed");
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

    /** Rounds up, so that a timer deadline is never reached early. */
    static long ceilMillis(long nanos) {
        long millis = nanos / 1_000_000;
        return nanos % 1_000_000 == 0 ? millis : millis + 1;
    }

    /** State of one handle, attached to its selection key. */
    private abstract static class Registration {
        SelectionKey key;
        int handle = Handles.NONE;
        boolean closed;
        /** The interest set last given to {@link #key}. */
        int interestOps;
        boolean dirty;
        Registration nextDirty;

        abstract NetworkChannel channel();

        /** The interest set the armed operations need. */
        abstract int wantedOps();
    }

    private static final class Listener extends Registration {
        final ServerSocketChannel channel;
        boolean acceptArmed;

        Listener(ServerSocketChannel channel) {
            this.channel = channel;
        }

        @Override
        NetworkChannel channel() {
            return channel;
        }

        @Override
        int wantedOps() {
            return acceptArmed ? SelectionKey.OP_ACCEPT : 0;
        }
    }

    private static final class Connection extends Registration {
        final SocketChannel channel;
        boolean readArmed;
        boolean eof;
        /** The caller's buffer from write() until onWritten/onError is delivered. */
        ByteBuffer writing;
        /** Set when a write failed inside write(); reported by the next poll. */
        IOException writeError;
        /** The write ended inside write() and waits in the completion queue to be reported. */
        boolean queued;
        Connection nextCompleted;

        Connection(SocketChannel channel) {
            this.channel = channel;
        }

        @Override
        NetworkChannel channel() {
            return channel;
        }

        @Override
        int wantedOps() {
            return (readArmed ? SelectionKey.OP_READ : 0) | (writing != null && !queued ? SelectionKey.OP_WRITE : 0);
        }
    }
}
