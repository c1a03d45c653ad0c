package dev.oneloop.examples.resp;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendException;
import dev.oneloop.backend.ErrorKind;
import dev.oneloop.backend.Handles;
import dev.oneloop.server.Loop;
import dev.oneloop.server.Timers;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A RESP2 server (a small subset of Redis) on the {@link Backend} SPI and the server module's
 * {@link Loop}: one thread parses requests in place from each read view, runs them against an
 * in-memory keyspace and encodes the replies into pooled direct buffers.
 *
 * <p>The echo server's guarantees hold here too. Replies are queued per connection with one write
 * in flight; above {@link RespConfig#highWatermark()} queued bytes the server stops reading from that
 * connection (TCP flow control then slows a client that pipelines without reading), and resumes at or
 * below {@link RespConfig#lowWatermark()}. Every request of a read is answered, so a connection whose
 * replies pass {@link RespConfig#maxBacklog()} is closed and logged, and so is one whose unparsed input
 * passes {@link RespConfig#maxQueryBuffer()}. A protocol error is answered with Redis's
 * {@code -ERR Protocol error: ...} and the connection closed once the reply is out. A half-close is
 * answered with every reply, then a close; a failed connection is closed, that one only (logged at
 * DEBUG when its {@link ErrorKind} says the peer is gone, at WARN otherwise); an accept error (EMFILE,
 * out of handles; any kind, the log says which) pauses accepting for {@link RespConfig#acceptBackoff()}.
 * Keys expire lazily on access
 * and through a sweep on a timer that runs only while some key has a deadline.
 *
 * <p>Threading as for the echo server: the thread that opened the backend calls {@link #bind()} and
 * {@link #run()}; {@link #requestStop()} and the counters may be read from any thread.
 */
public final class RespServer {

    private static final Logger LOG = LoggerFactory.getLogger(RespServer.class);

    private static final long MAX_POOLED_BYTES = 64L << 20;
    private static final int INITIAL_SLOTS = 1024;
    /** Redis's active expiry: 10 times a second, 20 keys a round, another round while over a quarter expired, at most 1 ms. */
    private static final long SWEEP_INTERVAL_NANOS = 100_000_000;
    private static final int SWEEP_SAMPLES = 20;
    private static final long SWEEP_BUDGET_NANOS = 1_000_000;
    /** A buffer of unparsed input larger than this is dropped once empty instead of kept for the next request. */
    private static final int KEPT_INPUT_BUFFER = 64 << 10;

    private static final class Connection {
        int handle = Handles.NONE;
        int index;
        boolean reading;
        boolean eof;
        /** A protocol error or QUIT was answered: read nothing more, close once the replies are out. */
        boolean closeAfterReply;
        final ReplyQueue out;
        /** Input not parsed yet: the start of an incomplete request. Heap memory, {@code null} when none was needed. */
        ByteBuffer input;
        /** Bytes {@link #input} must hold before parsing it again is worthwhile. */
        long inputNeeded;

        Connection(ReplyQueue.Pool pool) {
            out = new ReplyQueue(pool);
        }

        int inputSize() {
            return input == null ? 0 : input.position();
        }
    }

    private final Backend backend;
    private final RespConfig config;
    private final Loop loop;
    private final Timers timers;
    private final ReplyQueue.Pool pool;
    private final Keyspace keyspace = new Keyspace(1024);
    private final Commands commands;
    private final RequestParser parser;
    private final Args args = new Args();
    private final Events events = new Events();
    private final Timers.Task retryAcceptTask = this::retryAccept;
    private final Timers.Task sweepTask = this::sweepExpired;

    private Connection[] bySlot;
    private Connection[] active;
    private int activeCount;
    private volatile int publishedActiveCount;

    private int listener = Handles.NONE;
    private volatile InetSocketAddress boundAddress;
    private long acceptRetryTimer = Timers.NONE;
    private long sweepTimer = Timers.NONE;
    private boolean acceptFailing;
    private boolean started;
    private boolean stopping;

    /** Counted on the loop thread; published to {@link #publishedCommands} once per read, not once per command. */
    private long commandsTotal;
    private volatile long publishedCommands;
    private volatile long maxQueuedBytesSeen;
    private volatile long maxInputBytesSeen;
    private volatile long closedOverLimitTotal;
    private volatile long protocolErrorsTotal;

    /**
     * @param backend   opened on the thread that will call {@link #bind()} and {@link #run()}
     * @param nanoClock monotonic nanoseconds for timers and key expiry, {@code System::nanoTime} in production
     */
    public RespServer(Backend backend, RespConfig config, LongSupplier nanoClock) {
        this.backend = backend;
        this.config = config;
        this.loop = new Loop(backend, nanoClock);
        this.timers = loop.timers();
        this.pool = new ReplyQueue.Pool(config.chunkSize(), (int) Math.max(1, MAX_POOLED_BYTES / config.chunkSize()));
        this.commands = new Commands(keyspace, nanoClock, config);
        this.parser = new RequestParser(config.maxBulkLength(), config.maxMultibulkLength());
        int slots = Math.min(config.maxConnections() + 1, INITIAL_SLOTS);
        this.bySlot = new Connection[slots];
        this.active = new Connection[slots];
        preloadClasses(config, nanoClock);
    }

    /**
     * Runs every command, reply and error path once on throwaway state, so that every class they need
     * is loaded before the server accepts anyone: out of descriptors (EMFILE), the JVM cannot open a
     * class file from a directory on the class path, and a first protocol error would fail the loop.
     */
    private static void preloadClasses(RespConfig config, LongSupplier nanoClock) {
        String requests = "PING\r\n*2\r\n$4\r\nECHO\r\n$1\r\nx\r\nSET k 1 PX 100 NX\r\nSET k 2 EX 1 XX GET\r\nSET k 3 KEEPTTL\r\n"
                + "GET k\r\nINCR k\r\nINCR n\r\nEXISTS k n\r\nDEL k n\r\nDBSIZE\r\nCONFIG GET s*\r\nCONFIG x\r\nCOMMAND\r\n"
                + "COMMAND COUNT\r\nCOMMAND DOCS\r\nCOMMAND x\r\nFLUSHALL\r\nGET\r\nSET k v x\r\nQUIT\r\nfoo 'a' \"b\\x41\"\r\n"
                + "\"unbalanced\r\n*1\r\n$x\r\n";
        ByteBuffer src = ByteBuffer.wrap(requests.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)).asReadOnlyBuffer();
        Keyspace scratch = new Keyspace(16);
        scratch.sweep(nanoClock.getAsLong(), SWEEP_SAMPLES);
        Commands commands = new Commands(scratch, nanoClock, config);
        RequestParser parser = new RequestParser(config.maxBulkLength(), config.maxMultibulkLength());
        ReplyQueue out = new ReplyQueue(new ReplyQueue.Pool(256, 1));
        Args args = new Args();
        int pos = 0;
        while (pos < src.limit()) {
            int next = parser.parse(src, pos, src.limit(), args);
            if (next < 0) {
                out.error("ERR " + parser.error());
                pos = RequestParser.indexOf(src, pos, src.limit(), '\n') + 1;
                if (pos == 0) {
                    break;
                }
                continue;
            }
            pos = next;
            if (args.count() > 0) {
                commands.execute(args, out);
            }
        }
        out.sealHead();
        out.clear();
    }

    public RespConfig config() {
        return config;
    }

    public String backendName() {
        return backend.name();
    }

    /** Listens and arms acceptance; returns the address bound. Loop thread. */
    public InetSocketAddress bind() throws IOException {
        if (listener != Handles.NONE || started) {
            throw new IllegalStateException("already bound");
        }
        InetSocketAddress requested = new InetSocketAddress(InetAddress.getByName(config.bindAddress()), config.port());
        int handle = backend.listen(requested, config.listenBacklog());
        InetSocketAddress bound = backend.localAddress(handle);
        backend.accept(handle);
        listener = handle;
        boundAddress = bound;
        LOG.atInfo().addKeyValue("address", hostAndPort(bound)).addKeyValue("backend", backend.name()).log("listening");
        return bound;
    }

    /** {@code 127.0.0.1:6379}, or {@code [::1]:6379}. */
    public static String hostAndPort(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        return (address.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    public InetSocketAddress localAddress() {
        return boundAddress;
    }

    public int activeConnections() {
        return publishedActiveCount;
    }

    /** Requests executed so far. Any thread. */
    public long commandsExecuted() {
        return publishedCommands;
    }

    /** The most reply bytes ever queued for one connection. Any thread. */
    public long maxQueuedBytesSeen() {
        return maxQueuedBytesSeen;
    }

    /** The most unparsed input bytes ever held for one connection. Any thread. */
    public long maxInputBytesSeen() {
        return maxInputBytesSeen;
    }

    /** Connections closed for passing the reply backlog or query buffer limit. Any thread. */
    public long closedOverLimit() {
        return closedOverLimitTotal;
    }

    public long protocolErrors() {
        return protocolErrorsTotal;
    }

    /** Serves until {@link #requestStop()}, then shuts down gracefully and returns. Loop thread, once, after {@link #bind()}. */
    public void run() throws IOException {
        if (listener == Handles.NONE) {
            throw new IllegalStateException("bind() first");
        }
        if (started) {
            throw new IllegalStateException("run() may be called once");
        }
        started = true;
        loop.run(events);
        shutDown();
    }

    /** Asks {@link #run()} to stop accepting, flush and return. Any thread. */
    public void requestStop() {
        loop.requestStop();
    }

    private void shutDown() throws IOException {
        stopping = true;
        timers.cancel(acceptRetryTimer);
        timers.cancel(sweepTimer);
        backend.close(listener);
        listener = Handles.NONE;
        LOG.atInfo().addKeyValue("connections", activeCount).log("stopping: listener closed, flushing pending replies");
        for (int i = activeCount - 1; i >= 0; i--) {
            if (active[i].out.isEmpty()) {
                closeConnection(active[i]);
            }
        }
        if (activeCount > 0) {
            long deadline = timers.schedule(loop.now() + config.shutdownTimeout().toNanos(), now -> {
                LOG.atInfo().addKeyValue("connections", activeCount).log("shutdown timeout: closing connections with replies pending");
                while (activeCount > 0) {
                    closeConnection(active[activeCount - 1]);
                }
            });
            while (activeCount > 0) {
                loop.turn(events);
            }
            timers.cancel(deadline);
        }
        LOG.atInfo().addKeyValue("commands", commandsTotal).addKeyValue("closedOverLimit", closedOverLimitTotal).log("stopped");
    }

    private void retryAccept(long now) {
        acceptRetryTimer = Timers.NONE;
        if (!stopping) {
            backend.accept(listener);
        }
    }

    private void sweepExpired(long now) {
        long budgetEnd = now + SWEEP_BUDGET_NANOS;
        int deleted;
        do {
            deleted = keyspace.sweep(loop.now(), SWEEP_SAMPLES);
        } while (deleted > SWEEP_SAMPLES / 4 && loop.now() - budgetEnd < 0);
        scheduleSweep();
    }

    /** Keeps the sweep timer scheduled exactly while some key has a deadline, so an idle server without TTLs never wakes. */
    private void scheduleSweep() {
        boolean needed = keyspace.withDeadline() > 0 && !stopping;
        boolean scheduled = timers.isScheduled(sweepTimer);
        if (needed && !scheduled) {
            sweepTimer = timers.schedule(loop.now() + SWEEP_INTERVAL_NANOS, sweepTask);
        } else if (!needed && scheduled) {
            timers.cancel(sweepTimer);
            sweepTimer = Timers.NONE;
        }
    }

    private Connection connection(int handle) {
        int slot = Handles.slot(handle);
        if (slot >= bySlot.length) {
            return null;
        }
        Connection c = bySlot[slot];
        return c != null && c.handle == handle ? c : null;
    }

    /**
     * Parses and runs every complete request in {@code src[start, limit)}.
     *
     * @return where the unparsed rest begins, or -1 if the connection was closed
     */
    private int process(Connection c, ByteBuffer src, int start, int limit) {
        int pos = start;
        while (pos < limit && !c.closeAfterReply) {
            int next = parser.parse(src, pos, limit, args);
            if (next == RequestParser.INCOMPLETE) {
                c.inputNeeded = parser.bytesNeeded();
                break;
            }
            if (next == RequestParser.PROTOCOL_ERROR) {
                protocolErrorsTotal++;
                c.out.error("ERR " + parser.error());
                c.closeAfterReply = true;
                if (LOG.isDebugEnabled()) {
                    LOG.atDebug().addKeyValue("conn", Handles.toString(c.handle)).addKeyValue("error", parser.error())
                            .log("protocol error; closing after the reply");
                }
                return limit;
            }
            pos = next;
            if (args.count() > 0) {
                commandsTotal++;
                if (commands.execute(args, c.out) == Commands.After.CLOSE_AFTER_REPLY) {
                    c.closeAfterReply = true;
                }
                long queued = c.out.size();
                if (queued > maxQueuedBytesSeen) {
                    maxQueuedBytesSeen = queued;
                }
                if (queued > config.maxBacklog()) {
                    closeOverLimit(c, "reply backlog", queued, config.maxBacklog());
                    return -1;
                }
            }
        }
        c.inputNeeded = pos < limit ? c.inputNeeded : 0;
        return pos;
    }

    private void closeOverLimit(Connection c, String what, long bytes, long limit) {
        closedOverLimitTotal++;
        LOG.atWarn().addKeyValue("conn", Handles.toString(c.handle)).addKeyValue("bytes", bytes).addKeyValue("limit", limit)
                .log("closing connection: " + what + " over the limit");
        closeConnection(c);
    }

    /** Keeps {@code src[from, limit)} (an incomplete request) in the connection's input buffer. */
    private boolean keepInput(Connection c, ByteBuffer src, int from, int limit) {
        int n = limit - from;
        int have = c.inputSize();
        if ((long) have + n > config.maxQueryBuffer()) {
            closeOverLimit(c, "query buffer", (long) have + n, config.maxQueryBuffer());
            return false;
        }
        if (c.input == null || c.input.remaining() < n) {
            // Doubling, not the declared size of a bulk: a client announcing $500000000 gets memory as it sends.
            int capacity = (int) Math.min(config.maxQueryBuffer(),
                    Math.max(Math.max(4096, (long) have + n), c.input == null ? 0 : 2L * c.input.capacity()));
            ByteBuffer bigger = ByteBuffer.allocate(capacity);
            if (c.input != null) {
                bigger.put(c.input.flip());
            }
            c.input = bigger;
        }
        c.input.put(c.input.position(), src, from, n);
        c.input.position(c.input.position() + n);
        if (c.input.position() > maxInputBytesSeen) {
            maxInputBytesSeen = c.input.position();
        }
        return true;
    }

    private void startWrite(Connection c) {
        if (!c.out.writeInFlight() && !c.out.isEmpty()) {
            backend.write(c.handle, c.out.sealHead());
        }
    }

    private void armRead(Connection c) {
        c.reading = true;
        backend.read(c.handle);
    }

    private void openConnection(int handle) {
        int slot = Handles.slot(handle);
        if (slot >= bySlot.length) {
            bySlot = Arrays.copyOf(bySlot, Math.max(slot + 1, bySlot.length * 2));
        }
        Connection c = bySlot[slot];
        if (c == null) {
            c = new Connection(pool);
            bySlot[slot] = c;
        }
        c.handle = handle;
        c.eof = false;
        c.closeAfterReply = false;
        c.inputNeeded = 0;
        if (c.input != null) {
            c.input.clear();
        }
        if (activeCount == active.length) {
            active = Arrays.copyOf(active, active.length * 2);
        }
        c.index = activeCount;
        active[activeCount++] = c;
        publishedActiveCount = activeCount;
        armRead(c);
    }

    private void closeConnection(Connection c) {
        backend.close(c.handle);
        c.out.clear();
        c.handle = Handles.NONE;
        c.reading = false;
        if (c.input != null && c.input.capacity() > KEPT_INPUT_BUFFER) {
            c.input = null;
        }
        Connection last = active[--activeCount];
        active[c.index] = last;
        last.index = c.index;
        active[activeCount] = null;
        publishedActiveCount = activeCount;
    }

    private final class Events implements Backend.Handler {

        @Override
        public void onAccept(int listenerHandle, int connection) {
            if (acceptFailing) {
                acceptFailing = false;
                LOG.atInfo().addKeyValue("connections", activeCount).log("accepting again");
            }
            if (stopping || activeCount >= config.maxConnections()) {
                backend.close(connection);
                return;
            }
            openConnection(connection);
        }

        @Override
        public void onAcceptError(int listenerHandle, IOException error) {
            if (stopping || listenerHandle != listener) {
                return;
            }
            if (!acceptFailing) {
                acceptFailing = true;
                ErrorKind kind = BackendException.kindOf(error);
                // Out of descriptors or handles is what backing off is for; any other kind backs off too.
                LOG.atWarn().addKeyValue("kind", kind).addKeyValue("errno", errnoOf(error))
                        .addKeyValue("error", error.getMessage()).addKeyValue("connections", activeCount)
                        .addKeyValue("retryIn", config.acceptBackoff())
                        .log(kind.resourceExhausted() ? "accept failed: out of resources; pausing accepts"
                                : "accept failed, not for lack of resources; pausing accepts all the same");
            }
            if (!timers.isScheduled(acceptRetryTimer)) {
                acceptRetryTimer = timers.schedule(loop.now() + config.acceptBackoff().toNanos(), retryAcceptTask);
            }
        }

        @Override
        public void onRead(int connection, ByteBuffer data) {
            Connection c = connection(connection);
            if (c == null) {
                return;
            }
            c.reading = false;
            if (c.closeAfterReply) {
                return;
            }
            if (c.inputSize() == 0) {
                int rest = process(c, data, data.position(), data.limit());
                if (rest < 0 || (rest < data.limit() && !keepInput(c, data, rest, data.limit()))) {
                    return;
                }
            } else {
                if (!keepInput(c, data, data.position(), data.limit())) {
                    return;
                }
                ByteBuffer input = c.input;
                if (input.position() >= c.inputNeeded) {
                    int end = input.position();
                    int rest = process(c, input, 0, end);
                    if (rest < 0) {
                        return;
                    }
                    input.limit(end).position(rest).compact();
                    if (input.position() == 0 && input.capacity() > KEPT_INPUT_BUFFER) {
                        c.input = null;
                    }
                }
            }
            publishedCommands = commandsTotal;
            if (keyspace.withDeadline() > 0 && !timers.isScheduled(sweepTimer)) {
                scheduleSweep();
            }
            startWrite(c);
            if (stopping || c.closeAfterReply) {
                return;
            }
            if (c.out.size() <= config.highWatermark()) {
                armRead(c);
            } else if (LOG.isDebugEnabled()) {
                LOG.atDebug().addKeyValue("conn", Handles.toString(connection)).addKeyValue("queuedBytes", c.out.size())
                        .log("paused reading: above the high watermark");
            }
        }

        @Override
        public void onEof(int connection) {
            Connection c = connection(connection);
            if (c == null) {
                return;
            }
            c.reading = false;
            c.eof = true;
            if (c.out.isEmpty()) {
                closeConnection(c);
            }
        }

        @Override
        public void onWritten(int connection) {
            Connection c = connection(connection);
            if (c == null) {
                return;
            }
            c.out.headWritten();
            if (c.out.isEmpty()) {
                if (c.eof || stopping || c.closeAfterReply) {
                    closeConnection(c);
                    return;
                }
            } else {
                startWrite(c);
            }
            if (!c.reading && !c.eof && !stopping && !c.closeAfterReply && c.out.size() <= config.lowWatermark()) {
                armRead(c);
            }
        }

        @Override
        public void onError(int connection, IOException error) {
            Connection c = connection(connection);
            if (c == null) {
                return;
            }
            ErrorKind kind = BackendException.kindOf(error);
            if (!kind.peerGone()) { // not the routine end of a client that went away
                LOG.atWarn().addKeyValue("conn", Handles.toString(connection)).addKeyValue("kind", kind)
                        .addKeyValue("errno", errnoOf(error)).addKeyValue("error", error.getMessage())
                        .log("connection failed unexpectedly; closed");
            } else if (LOG.isDebugEnabled()) {
                LOG.atDebug().addKeyValue("conn", Handles.toString(connection)).addKeyValue("kind", kind)
                        .addKeyValue("errno", errnoOf(error)).addKeyValue("error", error.getMessage())
                        .log("connection failed; dropped");
            }
            closeConnection(c);
        }
    }

    /** The errno a backend reported, or 0 (none, or not a {@link BackendException}). */
    private static int errnoOf(IOException error) {
        return error instanceof BackendException e ? e.errno() : 0;
    }
}
