package dev.oneloop.server;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendException;
import dev.oneloop.backend.ErrorKind;
import dev.oneloop.backend.Handles;
import dev.oneloop.server.ServerStats.Counter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.LongSupplier;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reference application: echoes every byte each connection sends back to that connection, in
 * order, and every {@link ServerConfig#statusInterval()} appends
 * {@code "Server status: N active connections\n"} to every connection's outbound data.
 *
 * <p>One thread does everything: the one that opened the {@link Backend}, calls {@link #bind()} and
 * then {@link #run()}, which returns once the server has stopped. {@link #requestStop()},
 * {@link #activeConnections()} and {@link #localAddress()} may be called from any thread.
 *
 * <p>Outbound data is queued per connection ({@link OutboundQueue}), with one write in flight:
 * echoed bytes in pooled direct chunks of two sizes, status lines as references into one shared
 * table of every possible line ({@link StatusLines}), so a broadcast to any number of connections
 * copies and allocates nothing. Every per-connection array is sized for
 * {@link ServerConfig#maxConnections()} at construction. Above {@link ServerConfig#highWatermark()}
 * queued bytes the server stops reading from that connection (TCP flow control then slows the peer)
 * and resumes at or below {@link ServerConfig#lowWatermark()}. A connection whose queue passes
 * {@link ServerConfig#maxBacklog()} (broadcasts still pile up on a client that stopped reading) is
 * closed and logged. A peer's half-close is answered with every byte it sent, then a close. A
 * failed connection is closed, that one only: logged at DEBUG when its {@link ErrorKind} says the
 * peer is gone (reset, broken pipe, timed out), at WARN otherwise. With
 * {@link ServerConfig#idleTimeout()} set, a connection that has sent nothing for that long is closed
 * and logged ({@link IdleTracker}). An accept error pauses accepting for
 * {@link ServerConfig#acceptBackoff()} instead of retrying at once: the expected ones are out of
 * resources (EMFILE, ENFILE, the backend's handles), and the log says when it was another kind.
 * Logs and events carry the error's kind and errno, never a decision taken on its message.
 *
 * <p>Stopping closes the listener, stops reading, lets pending output drain for at most
 * {@link ServerConfig#shutdownTimeout()}, then closes every connection. The backend stays open: its
 * owner closes it.
 *
 * <p>What it does can be watched without slowing it ({@link Observability}): its counters as an
 * {@link EchoServerMXBean} and, while a Flight Recorder recording runs, {@code oneloop.*} events
 * (loop turns above a threshold, connections opened and closed with the reason, status broadcasts,
 * accept paused and resumed).
 */
public final class EchoServer {

    private static final Logger LOG = LoggerFactory.getLogger(EchoServer.class);

    static {
        // Loaded now rather than at the first close: under EMFILE a class can no longer be read from
        // a directory on the class path, and closing connections is how the server gets out of it.
        CloseReason.values();
    }

    /** Free outbound chunks kept for reuse at most; a burst beyond it is left to the garbage collector. */
    private static final long MAX_POOLED_BYTES = 64L << 20;
    /** Idle connections closed per scan that are logged at INFO one by one; beyond, one summary line. */
    private static final int IDLE_CLOSES_LOGGED = 10;
    private static final com.sun.management.ThreadMXBean THREADS = threadBean();

    /** Per-connection state, kept per slot and reused when the slot is. */
    private static final class Connection {
        int handle = Handles.NONE;
        /** Position in {@link #active}. */
        int index;
        /** A receive is armed; false while paused above the high watermark, after EOF, and when stopping. */
        boolean reading;
        boolean eof;
        final OutboundQueue out;

        Connection(ChunkPool pool, StatusLines lines) {
            out = new OutboundQueue(pool, lines);
        }
    }

    private final Backend backend;
    private final ServerConfig config;
    private final Observability observability;
    private final ServerStats stats;
    private ObjectName registeredName;
    private final Loop loop;
    private final Timers timers;
    private final ChunkPool chunks;
    private final Events events = new Events();
    private final Timers.Task broadcastTask = this::broadcastStatus;
    private final Timers.Task retryAcceptTask = this::retryAccept;
    private final Timers.Task idleScanTask = this::closeIdleConnections;
    private final StatusLines statusLines;
    private final BroadcastStats broadcastStats = new BroadcastStats();
    /** Read stamps of {@link #active}'s connections, by the same index; null without an idle timeout. */
    private final IdleTracker idle;

    private Connection[] bySlot;
    /** Open connections, densely packed for the broadcast. */
    private final Connection[] active;
    private int activeCount;
    private volatile int publishedActiveCount;

    private int listener = Handles.NONE;
    private volatile InetSocketAddress boundAddress;
    private long acceptRetryTimer = Timers.NONE;
    private boolean acceptFailing;
    private long acceptPausedAt;
    private boolean started;
    private boolean stopping;

    private long acceptedTotal;
    private long refusedTotal;
    private long closedOverLimitTotal;
    private long closedIdleTotal;

    /**
     * @param backend   opened on the thread that will call {@link #bind()} and {@link #run()}
     * @param nanoClock monotonic nanoseconds for the timers, {@code System::nanoTime} in production
     */
    public EchoServer(Backend backend, ServerConfig config, LongSupplier nanoClock) {
        this(backend, config, Observability.DEFAULTS, nanoClock);
    }

    /**
     * @param backend   opened on the thread that will call {@link #bind()} and {@link #run()}
     * @param nanoClock monotonic nanoseconds for the timers, {@code System::nanoTime} in production
     */
    public EchoServer(Backend backend, ServerConfig config, Observability observability, LongSupplier nanoClock) {
        this.backend = backend;
        this.config = config;
        this.observability = observability;
        this.stats = new ServerStats(backend.name());
        this.loop = new Loop(backend, nanoClock);
        loop.recordTurnsAbove(observability.turnEventThreshold());
        this.timers = loop.timers();
        this.chunks = new ChunkPool(config.chunkSize(), MAX_POOLED_BYTES);
        this.statusLines = new StatusLines(config.maxConnections());
        // As many as a backend opened with config.backendConfig() has handle slots; openConnection grows it
        // for a backend opened with more (any Backend may be passed in).
        this.bySlot = new Connection[config.backendConfig().maxHandles()];
        this.active = new Connection[config.maxConnections()];
        this.idle = config.idleTimeout().isZero() ? null : new IdleTracker(config.maxConnections());
    }

    private static com.sun.management.ThreadMXBean threadBean() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean
                && bean.isThreadAllocatedMemorySupported() && bean.isThreadAllocatedMemoryEnabled()) {
            return bean;
        }
        return null;
    }

    public ServerConfig config() {
        return config;
    }

    /** The name of the backend this server runs on. */
    public String backendName() {
        return backend.name();
    }

    /**
     * Listens on {@link ServerConfig#bindAddress()} and {@link ServerConfig#port()} and arms
     * acceptance. Loop thread.
     *
     * @return the address bound, with the port chosen when the configured one is 0
     */
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
        stats.address(hostAndPort(bound));
        registerMBean();
        LOG.atInfo().addKeyValue("address", hostAndPort(bound)).addKeyValue("backend", backend.name()).log("listening");
        return bound;
    }

    /** {@code 127.0.0.1:9000}, or {@code [::1]:9000} for IPv6. */
    public static String hostAndPort(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        return (address.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    /** The address {@link #bind()} bound, or {@code null} before. Any thread. */
    public InetSocketAddress localAddress() {
        return boundAddress;
    }

    /** Connections open now. Any thread. */
    public int activeConnections() {
        return publishedActiveCount;
    }

    /** The server's counters, as JMX shows them. Any thread. */
    public EchoServerMXBean stats() {
        return stats;
    }

    /** Durations (p50, max) and allocation of the status broadcasts. Any thread. */
    public BroadcastStats broadcastStats() {
        return broadcastStats;
    }

    /**
     * Serves until {@link #requestStop()}, then shuts down gracefully (see the class comment) and
     * returns. Loop thread; call once, after {@link #bind()}.
     *
     * @throws IOException if the backend failed and the loop cannot go on
     */
    public void run() throws IOException {
        if (listener == Handles.NONE) {
            throw new IllegalStateException("bind() first");
        }
        if (started) {
            throw new IllegalStateException("run() may be called once");
        }
        started = true;
        try {
            long interval = config.statusInterval().toNanos();
            long broadcastTimer = timers.scheduleAtFixedRate(loop.now() + interval, interval, broadcastTask);
            long idleTimer = Timers.NONE;
            if (idle != null) {
                // Rounded up: STEPS whole intervals are never shorter than the timeout.
                long scanInterval = (config.idleTimeout().toNanos() + IdleTracker.STEPS - 1) / IdleTracker.STEPS;
                idleTimer = timers.scheduleAtFixedRate(loop.now() + scanInterval, scanInterval, idleScanTask);
            }
            loop.run(events);
            timers.cancel(broadcastTimer);
            timers.cancel(idleTimer);
            shutDown();
        } finally {
            unregisterMBean();
        }
    }

    /** The JMX name of this server: {@code dev.oneloop:type=EchoServer,backend=NAME,port=PORT}. Package-private for testing. */
    ObjectName objectName() {
        try {
            return new ObjectName("dev.oneloop:type=EchoServer,backend=" + ObjectName.quote(backend.name())
                    + ",port=" + (boundAddress == null ? 0 : boundAddress.getPort()));
        } catch (JMException e) {
            throw new IllegalStateException(e);
        }
    }

    private void registerMBean() {
        if (!observability.jmx()) {
            return;
        }
        ObjectName name = objectName();
        try {
            ManagementFactory.getPlatformMBeanServer().registerMBean(stats, name);
            registeredName = name;
        } catch (JMException e) {
            // Another server of this JVM on the same port and backend (one bound to ::1, one to 127.0.0.1).
            LOG.atWarn().addKeyValue("name", name).addKeyValue("error", e.toString()).log("JMX registration failed; serving without it");
        }
    }

    private void unregisterMBean() {
        if (registeredName == null) {
            return;
        }
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try {
            server.unregisterMBean(registeredName);
        } catch (JMException e) {
            LOG.atDebug().addKeyValue("name", registeredName).addKeyValue("error", e.toString()).log("JMX unregistration failed");
        }
        registeredName = null;
    }

    /** Asks {@link #run()} to stop accepting, flush and return. Any thread, any number of times. */
    public void requestStop() {
        loop.requestStop();
    }

    private void shutDown() throws IOException {
        stopping = true;
        timers.cancel(acceptRetryTimer);
        backend.close(listener);
        listener = Handles.NONE;
        LOG.atInfo().addKeyValue("connections", activeCount).addKeyValue("pendingBytes", pendingBytes())
                .addKeyValue("timeout", config.shutdownTimeout()).log("stopping: listener closed, flushing pending output");
        for (int i = activeCount - 1; i >= 0; i--) {
            if (active[i].out.isEmpty()) {
                closeConnection(active[i], CloseReason.SHUTDOWN, null);
            }
        }
        if (activeCount > 0) {
            long deadline = timers.schedule(loop.now() + config.shutdownTimeout().toNanos(), this::abandonPendingOutput);
            while (activeCount > 0) {
                loop.turn(events);
            }
            timers.cancel(deadline);
        }
        LOG.atInfo().addKeyValue("accepted", acceptedTotal).addKeyValue("refused", refusedTotal)
                .addKeyValue("closedOverBacklogLimit", closedOverLimitTotal).addKeyValue("closedIdle", closedIdleTotal)
                .addKeyValue("broadcasts", broadcastStats.count())
                .addKeyValue("broadcastP50Micros", broadcastStats.percentileNanos(50) / 1_000)
                .addKeyValue("broadcastMaxMicros", broadcastStats.maxNanos() / 1_000).log("stopped");
    }

    private void abandonPendingOutput(long now) {
        LOG.atInfo().addKeyValue("connections", activeCount).addKeyValue("droppedBytes", pendingBytes())
                .addKeyValue("timeout", config.shutdownTimeout()).log("shutdown timeout: closing connections with output pending");
        while (activeCount > 0) {
            closeConnection(active[activeCount - 1], CloseReason.SHUTDOWN_TIMEOUT, null);
        }
    }

    private long pendingBytes() {
        long total = 0;
        for (int i = 0; i < activeCount; i++) {
            total += active[i].out.size();
        }
        return total;
    }

    private void broadcastStatus(long now) {
        long start = System.nanoTime();
        long cpuBefore = THREADS == null ? 0 : THREADS.getCurrentThreadCpuTime();
        long allocatedBefore = THREADS == null ? 0 : THREADS.getCurrentThreadAllocatedBytes();
        int connections = activeCount;
        int lineLength = statusLines.length(connections);
        long dropped = stats.get(Counter.LINES_DROPPED);
        // Backwards, because closing a connection moves the last one into its place.
        for (int i = activeCount - 1; i >= 0; i--) {
            Connection c = active[i];
            c.out.appendStatusLine(connections);
            stats.add(Counter.PENDING_BYTES, lineLength);
            if (withinBacklogLimit(c)) {
                startWrite(c);
            } else {
                stats.increment(Counter.LINES_DROPPED);
            }
        }
        long droppedNow = stats.get(Counter.LINES_DROPPED) - dropped;
        stats.increment(Counter.BROADCASTS);
        stats.add(Counter.LINES_QUEUED, connections - droppedNow);
        long elapsed = System.nanoTime() - start;
        long allocated = THREADS == null ? -1 : THREADS.getCurrentThreadAllocatedBytes() - allocatedBefore;
        long cpu = THREADS == null ? -1 : THREADS.getCurrentThreadCpuTime() - cpuBefore;
        broadcastStats.record(connections, elapsed, cpu, allocated);
        if (ServerEvents.statusBroadcastEnabled()) {
            ServerEvents.StatusBroadcast event = new ServerEvents.StatusBroadcast();
            event.connections = connections;
            event.tickToLastWrite = elapsed;
            event.closedOverBacklog = (int) droppedNow;
            event.commit();
        }
        if (LOG.isDebugEnabled()) {
            LOG.atDebug().addKeyValue("connections", connections).addKeyValue("micros", elapsed / 1_000)
                    .addKeyValue("cpuMicros", cpu / 1_000).addKeyValue("allocatedBytes", allocated)
                    .log("status broadcast handed to the backend");
        }
    }

    private void closeIdleConnections(long now) {
        int closed = 0;
        for (int i = idle.nextIdle(activeCount); i >= 0; i = idle.nextIdle(i)) {
            Connection c = active[i];
            closed++;
            closedIdleTotal++;
            stats.increment(Counter.CLOSED_IDLE);
            if (closed <= IDLE_CLOSES_LOGGED || LOG.isDebugEnabled()) {
                LOG.atInfo().addKeyValue("conn", Handles.toString(c.handle)).addKeyValue("idleTimeout", config.idleTimeout())
                        .log("closing idle connection: nothing received within the idle timeout");
            }
            closeConnection(c, CloseReason.IDLE_TIMEOUT, null);
        }
        if (closed > IDLE_CLOSES_LOGGED) {
            LOG.atInfo().addKeyValue("closed", closed).addKeyValue("idleTimeout", config.idleTimeout())
                    .addKeyValue("connections", activeCount).log("closed idle connections");
        }
        // After the scan, not before: reads delivered while this scan was overdue (the loop delivers I/O
        // before running due timers) were stamped with the previous tick, which a scan that advanced
        // first would count as one period more idle than they are, closing them up to one period before
        // the timeout (sim seed 15). Now a close comes between the timeout and two periods after it.
        idle.advance();
    }

    private void retryAccept(long now) {
        acceptRetryTimer = Timers.NONE;
        if (!stopping) {
            backend.accept(listener);
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

    private boolean withinBacklogLimit(Connection c) {
        if (c.out.size() <= config.maxBacklog()) {
            return true;
        }
        closedOverLimitTotal++;
        stats.increment(Counter.CLOSED_OVER_BACKLOG);
        LOG.atWarn().addKeyValue("conn", Handles.toString(c.handle)).addKeyValue("backlogBytes", c.out.size())
                .addKeyValue("limit", config.maxBacklog()).log("closing connection: outbound backlog over the limit (client not reading)");
        closeConnection(c, CloseReason.BACKLOG_LIMIT, null);
        return false;
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
            c = new Connection(chunks, statusLines);
            bySlot[slot] = c;
        }
        c.handle = handle;
        c.eof = false;
        c.index = activeCount;
        active[activeCount++] = c;
        if (idle != null) {
            idle.heard(c.index);
        }
        publishActiveCount();
        acceptedTotal++;
        stats.increment(Counter.ACCEPTED);
        if (ServerEvents.connectionOpenedEnabled()) {
            ServerEvents.ConnectionOpened event = new ServerEvents.ConnectionOpened();
            event.connection = Handles.toString(handle);
            event.activeConnections = activeCount;
            event.commit();
        }
        armRead(c);
    }

    private void closeConnection(Connection c, CloseReason reason, IOException error) {
        long dropped = c.out.size();
        int handle = c.handle;
        backend.close(handle);
        c.out.clear();
        stats.add(Counter.PENDING_BYTES, -dropped);
        c.handle = Handles.NONE;
        c.reading = false;
        Connection last = active[--activeCount];
        active[c.index] = last;
        if (idle != null) {
            idle.moved(activeCount, c.index);
        }
        last.index = c.index;
        active[activeCount] = null;
        publishActiveCount();
        closed(handle, reason, error, dropped);
    }

    /** Counts and records a connection's end; also for one refused at accept, which never became a {@link Connection}. */
    private void closed(int handle, CloseReason reason, IOException error, long droppedBytes) {
        if (reason == CloseReason.PEER_EOF || reason == CloseReason.ERROR) {
            stats.increment(Counter.CLOSED_BY_PEER);
        }
        if (ServerEvents.connectionClosedEnabled()) {
            ServerEvents.ConnectionClosed event = new ServerEvents.ConnectionClosed();
            event.connection = Handles.toString(handle);
            event.reason = reason.label();
            event.error = error == null ? null : error.getMessage();
            event.errorKind = error == null ? null : BackendException.kindOf(error).name();
            event.errno = errnoOf(error);
            event.droppedBytes = droppedBytes;
            event.activeConnections = activeCount;
            event.commit();
        }
    }

    /** The errno a backend reported, or 0 (none, or not a {@link BackendException}). */
    private static int errnoOf(IOException error) {
        return error instanceof BackendException e ? e.errno() : 0;
    }

    private void publishActiveCount() {
        publishedActiveCount = activeCount;
        stats.activeConnections(activeCount);
    }

    /** Backend callbacks; kept off the public API of the server. */
    private final class Events implements Backend.Handler {

        @Override
        public void onAccept(int listenerHandle, int connection) {
            if (acceptFailing) {
                acceptFailing = false;
                LOG.atInfo().addKeyValue("connections", activeCount).log("accepting again");
                if (ServerEvents.acceptResumedEnabled()) {
                    ServerEvents.AcceptResumed event = new ServerEvents.AcceptResumed();
                    event.pausedFor = System.nanoTime() - acceptPausedAt;
                    event.activeConnections = activeCount;
                    event.commit();
                }
            }
            if (stopping || activeCount >= config.maxConnections()) {
                backend.close(connection);
                refusedTotal++;
                stats.increment(Counter.REFUSED);
                closed(connection, stopping ? CloseReason.REFUSED_STOPPING : CloseReason.REFUSED_MAX_CONNECTIONS, null, 0);
                if (LOG.isDebugEnabled()) {
                    LOG.atDebug().addKeyValue("conn", Handles.toString(connection)).addKeyValue("connections", activeCount)
                            .addKeyValue("reason", stopping ? "stopping" : "max connections").log("connection refused");
                }
                return;
            }
            openConnection(connection);
            if (LOG.isDebugEnabled()) {
                LOG.atDebug().addKeyValue("conn", Handles.toString(connection)).log("accepted");
            }
        }

        @Override
        public void onAcceptError(int listenerHandle, IOException error) {
            if (stopping || listenerHandle != listener) {
                return;
            }
            ErrorKind kind = BackendException.kindOf(error);
            // Once per failing streak at WARN: under EMFILE this fires at every retry.
            if (!acceptFailing) {
                acceptFailing = true;
                acceptPausedAt = System.nanoTime();
                stats.increment(Counter.ACCEPT_PAUSES);
                if (ServerEvents.acceptPausedEnabled()) {
                    ServerEvents.AcceptPaused event = new ServerEvents.AcceptPaused();
                    event.error = error.getMessage();
                    event.errorKind = kind.name();
                    event.errno = errnoOf(error);
                    event.activeConnections = activeCount;
                    event.commit();
                }
                // Out of descriptors or handles is what backing off is for; any other kind backs off
                // too (retrying at once could spin), and the log says it was not expected.
                LOG.atWarn().addKeyValue("kind", kind).addKeyValue("errno", errnoOf(error))
                        .addKeyValue("error", error.getMessage()).addKeyValue("connections", activeCount)
                        .addKeyValue("retryIn", config.acceptBackoff())
                        .log(kind.resourceExhausted() ? "accept failed: out of resources; pausing accepts"
                                : "accept failed, not for lack of resources; pausing accepts all the same");
            } else if (LOG.isDebugEnabled()) {
                LOG.atDebug().addKeyValue("kind", kind).addKeyValue("errno", errnoOf(error))
                        .addKeyValue("error", error.getMessage()).log("accept failed again");
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
            int received = data.remaining();
            c.out.append(data);
            stats.add(Counter.BYTES_IN, received);
            stats.add(Counter.PENDING_BYTES, received);
            stats.increment(Counter.MESSAGES);
            if (!withinBacklogLimit(c)) {
                return;
            }
            startWrite(c);
            if (stopping) {
                return;
            }
            if (c.out.size() <= config.highWatermark()) {
                if (idle != null) {
                    idle.heard(c.index);
                }
                armRead(c);
                return;
            }
            if (idle != null) {
                idle.pause(c.index);
            }
            if (LOG.isDebugEnabled()) {
                LOG.atDebug().addKeyValue("conn", Handles.toString(connection)).addKeyValue("backlogBytes", c.out.size())
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
                if (LOG.isDebugEnabled()) {
                    LOG.atDebug().addKeyValue("conn", Handles.toString(connection)).log("closed after peer's half-close");
                }
                closeConnection(c, CloseReason.PEER_EOF, null);
            }
        }

        @Override
        public void onWritten(int connection) {
            Connection c = connection(connection);
            if (c == null) {
                return;
            }
            long queued = c.out.size();
            c.out.headWritten();
            long written = queued - c.out.size();
            stats.add(Counter.BYTES_OUT, written);
            stats.add(Counter.PENDING_BYTES, -written);
            if (c.out.isEmpty()) {
                if (c.eof || stopping) {
                    if (LOG.isDebugEnabled()) {
                        LOG.atDebug().addKeyValue("conn", Handles.toString(connection)).addKeyValue("eof", c.eof)
                                .log("closed after flushing");
                    }
                    closeConnection(c, c.eof ? CloseReason.PEER_EOF : CloseReason.SHUTDOWN, null);
                    return;
                }
            } else {
                startWrite(c);
            }
            if (!c.reading && !c.eof && !stopping && c.out.size() <= config.lowWatermark()) {
                if (LOG.isDebugEnabled()) {
                    LOG.atDebug().addKeyValue("conn", Handles.toString(connection)).addKeyValue("backlogBytes", c.out.size())
                            .log("resumed reading: at or below the low watermark");
                }
                if (idle != null) {
                    idle.heard(c.index);
                }
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
            if (!kind.peerGone()) { // not the routine end of a client that went away: worth a look
                LOG.atWarn().addKeyValue("conn", Handles.toString(connection)).addKeyValue("kind", kind)
                        .addKeyValue("errno", errnoOf(error)).addKeyValue("error", error.getMessage())
                        .addKeyValue("droppedBytes", c.out.size()).log("connection failed unexpectedly; closed");
            } else if (LOG.isDebugEnabled()) {
                LOG.atDebug().addKeyValue("conn", Handles.toString(connection)).addKeyValue("kind", kind)
                        .addKeyValue("errno", errnoOf(error)).addKeyValue("error", error.getMessage())
                        .addKeyValue("droppedBytes", c.out.size()).log("connection failed; dropped");
            }
            closeConnection(c, CloseReason.ERROR, error);
        }
    }
}
