package dev.oneloop.sim;

import dev.oneloop.server.IdleTracker;
import dev.oneloop.server.ServerConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The echo server's specification, checked from outside while it runs: a model of what it must have
 * queued for each connection (bytes read plus status lines, minus writes completed), of when each
 * status tick is due and of which connections it reaches, and of every reason to close or to stop
 * reading. Each callback is checked as it returns; the effects of timers at the next {@code poll}.
 */
final class Invariants implements SimBackend.Observer {

    /** Why the server closed a connection, as the model sees it. */
    enum Closed { OPEN, REFUSED, BACKLOG, AFTER_EOF, FLUSHED_AT_STOP, ERROR, SHUTDOWN, IDLE }

    /** The model of one accepted connection. */
    static final class Model {
        final SimConnection c;
        long in;
        long status;
        long written;
        long handedToWrite;
        boolean eof;
        Closed closed = Closed.OPEN;
        long closedAt;
        /** A receive is armed (as the model sees it), and when one was last armed: the server's "heard". */
        boolean armed;
        long lastHeard;
        /** The server's idle tick ({@link #scanTick}) when a receive was last armed: what the server stamps. */
        int heardTick;
        /** N and deadline of every tick that reached it. */
        final LongList expectedN = new LongList();
        final LongList tickDeadlines = new LongList();
        /** End offset in the outbound stream and start time of every write. */
        final LongList writeEnds = new LongList();
        final LongList writeTimes = new LongList();

        /** In {@link #changed}: its queue, its write in flight or its error changed since the last poll. */
        boolean changed;

        Model(SimConnection c) {
            this.c = c;
        }

        long queued() {
            return in + status - written;
        }
    }

    private final ServerConfig config;
    private final SimBackend backend;
    private final SimNetwork net;
    private final long interval;
    private final long backoff;
    private final long maxPause;
    /** {@code --idle-timeout}, 0 when off. */
    private final long idleTimeout;
    private final List<Model> byId = new ArrayList<>();
    private final List<Model> open = new ArrayList<>();
    /**
     * Open connections whose model may have changed since the last poll started (a callback, a write,
     * a tick): only those can newly have bytes queued without a write in flight.
     */
    private final List<Model> changed = new ArrayList<>();
    /** A connection was closed since the last poll started: the closes by timers are to be judged. */
    private boolean closedSincePoll;
    /** Connections a tick reached in the window that follows the poll it returned from. */
    private final List<Model> tickReached = new ArrayList<>();

    private boolean started;
    private long runStart;
    private long nextDeadline;
    /** The idle scan's schedule (a fixed-rate timer too), when the idle timeout is on. */
    private long scanInterval;
    private long nextScan;
    /** Which of the two periodic timers ran last: on equal deadlines the other runs first (Timers' order of scheduling). */
    private boolean scanRanLast = true;
    /** A tick of the last window, resolved at the next poll: who was open, whether an idle scan ran before it. */
    private final List<Model> pendingTick = new ArrayList<>();
    private boolean tickPending;
    private long pendingN;
    private boolean scanBeforeTick;
    /**
     * The server's idle tick ({@code IdleTracker}): advanced by every scan after it looked. A scan
     * closes exactly the connections heard more than {@code IdleTracker.STEPS} ticks before it.
     */
    private int scanTick;
    /** The tick the scan of the last window looked with, when it ran before that window's tick. */
    private int pendingScanTick;
    private long pendingDeadline;
    long ticks;
    /** Set by the stop action; the first poll returning after it is the last turn of the serving loop. */
    boolean stopRequested;
    boolean stopping;
    long stopObservedAt;
    private long lastReturn;
    private boolean acceptArmed;
    private boolean acceptFailed;
    private long acceptErrorAt;
    long acceptErrors;
    /** The callback being delivered, or null between callbacks. */
    private SimBackend.Op currentOp;
    private Model current;
    private long readArmsDuringCallback;

    Invariants(ServerConfig config, SimBackend backend, long maxPause) {
        this.config = config;
        this.backend = backend;
        this.net = backend.network();
        this.interval = config.statusInterval().toNanos();
        this.backoff = config.acceptBackoff().toNanos();
        this.maxPause = maxPause;
        this.idleTimeout = config.idleTimeout().toNanos();
    }

    /**
     * A close by a timer that the idle timeout explains: nothing received for the timeout since the
     * receive was last armed, and not paused by the server itself above the high watermark.
     */
    private boolean idleClose(Model m, long now) {
        return idleTimeout > 0 && now - m.lastHeard >= idleTimeout && (m.armed || m.eof);
    }

    /** The scan before the last window's tick closed {@code m} (if it was open then): the server's own rule. */
    private boolean closedByScan(Model m) {
        return pendingScanTick - m.heardTick > IdleTracker.STEPS && (m.armed || m.eof);
    }

    List<Model> models() {
        return byId;
    }

    Model model(SimConnection c) {
        return c.id < byId.size() ? byId.get(c.id) : null;
    }

    private static void fail(String message) {
        throw new SimFailure(message);
    }

    // ---------------------------------------------------------------- polls and timers

    @Override
    public void pollStarted(long now) {
        if (!started) {
            started = true;
            runStart = now;
            nextDeadline = now + interval;
            if (idleTimeout > 0) {
                scanInterval = (idleTimeout + 7) / 8; // IdleTracker.STEPS scans per timeout, rounded up
                nextScan = now + scanInterval;
            }
            acceptArmed = true; // bind() armed it
            return;
        }
        resolveTick();
        // What the timers of the last window did.
        for (Model m : tickReached) {
            boolean over = m.queued() > config.maxBacklog();
            boolean closed = m.c.serverClosed;
            if (!closed && m.c.writing == null && !m.c.errorDelivered) {
                fail(m.c + " was open at tick " + ticks + " (N=" + m.expectedN.get(m.expectedN.size() - 1)
                        + ") but nothing was written to it: the broadcast did not reach it");
            }
            if (over && !closed) {
                fail(m.c + " passed maxBacklog (" + m.queued() + " > " + config.maxBacklog() + ") with a status line and was not closed");
            }
            if (closed && m.closed == Closed.OPEN && !over && idleClose(m, lastReturn)) {
                m.closed = Closed.IDLE;
            }
            if (closed && m.closed == Closed.OPEN) {
                m.closed = over ? Closed.BACKLOG : Closed.FLUSHED_AT_STOP;
                if (!over && !(stopping && m.queued() == 0)) {
                    fail(m.c + " was closed at a tick without passing maxBacklog (queued " + m.queued() + " <= " + config.maxBacklog() + ")");
                }
            }
        }
        if (!tickReached.isEmpty()) {
            tickReached.clear();
        }
        if (closedSincePoll) {
            judgeCloses(now);
        }
        // Ordered like open (by id: connections are accepted in the order they connected), so the
        // first failure is the one a scan of every open connection would report.
        if (!changed.isEmpty()) {
            sortById(changed);
            for (int i = 0, n = changed.size(); i < n; i++) {
                Model m = changed.get(i);
                m.changed = false;
                if (m.closed == Closed.OPEN && m.queued() > 0 && m.c.writing == null && !m.c.errorDelivered) {
                    fail(m.c + " has " + m.queued() + " bytes queued and no write in flight: its output stalled");
                }
            }
            changed.clear();
        }
        if (!acceptArmed && !stopping && acceptFailed && lastReturn - (acceptErrorAt + backoff) >= 0) {
            fail("accepting was not re-armed although the back-off (" + config.acceptBackoff() + ") after the accept error at "
                    + acceptErrorAt + " has passed (now " + lastReturn + ")");
        }
    }

    /** A model that may have changed: looked at when the next poll starts. */
    private void changed(Model m) {
        if (!m.changed) {
            m.changed = true;
            changed.add(m);
        }
    }

    private static void sortById(List<Model> models) {
        for (int i = 1; i < models.size(); i++) {
            Model m = models.get(i);
            int j = i - 1;
            while (j >= 0 && models.get(j).c.id > m.c.id) {
                models.set(j + 1, models.get(j));
                j--;
            }
            models.set(j + 1, m);
        }
    }

    /** Connections closed outside their own callbacks since the last poll: by a timer, and why. */
    private void judgeCloses(long now) {
        closedSincePoll = false;
        for (Model m : open) {
            if (m.closed == Closed.OPEN && m.c.serverClosed) {
                if (idleClose(m, now)) {
                    m.closed = Closed.IDLE;
                } else if (stopping) {
                    m.closed = m.queued() == 0 ? Closed.FLUSHED_AT_STOP : Closed.SHUTDOWN;
                    if (m.queued() != 0 && now - (stopObservedAt + config.shutdownTimeout().toNanos()) < 0) {
                        fail(m.c + " closed by the stopping server with " + m.queued() + " bytes pending before the shutdown timeout");
                    }
                } else if (idleTimeout > 0 && (m.armed || m.eof)) {
                    fail(m.c + " closed as idle " + (now - m.lastHeard) / 1_000_000 + " ms after it was last heard from, before"
                            + " the idle timeout of " + config.idleTimeout());
                } else {
                    fail(m.c + " closed by a timer for no reason (queued " + m.queued() + (idleTimeout > 0 ? ", last heard "
                            + (now - m.lastHeard) / 1_000_000 + " ms ago, idle timeout " + config.idleTimeout() + ", reading "
                            + m.armed : "") + ")");
                }
            }
        }
        open.removeIf(m -> m.closed != Closed.OPEN);
    }

    @Override
    public void pollReturned(long now, int delivered) {
        lastReturn = now;
        if (stopping) {
            return;
        }
        boolean tickDue = now - nextDeadline >= 0;
        boolean scanDue = scanInterval > 0 && now - nextScan >= 0;
        if (tickDue) {
            tickPending = true;
            pendingDeadline = nextDeadline;
            long n = open.size();
            long length = statusLength(n);
            pendingN = n;
            for (Model m : open) {
                m.expectedN.add(n);
                m.tickDeadlines.add(nextDeadline);
                m.status += length;
                tickReached.add(m);
                changed(m);
            }
            long d = nextScan - nextDeadline;
            scanBeforeTick = scanDue && (d < 0 || d == 0 && !scanRanLast);
            nextDeadline = nextRun(nextDeadline, interval, now); // missed ticks are skipped, not burst
        }
        if (scanDue) {
            pendingScanTick = scanTick++;
            nextScan = nextRun(nextScan, scanInterval, now);
            scanRanLast = !(tickDue && scanBeforeTick);
        } else if (tickDue) {
            scanRanLast = false;
        }
        if (stopRequested) {
            stopping = true; // this turn's timers run, then the loop returns and the server shuts down
            stopObservedAt = now;
        }
    }

    private static long nextRun(long deadline, long period, long now) {
        long next = deadline + period;
        if (next - now <= 0) {
            next += ((now - next) / period + 1) * period;
        }
        return next;
    }

    /**
     * Applies the tick of the last window: N is the connections open when it ran, so without those an
     * idle scan due before it closed; each of the others got the line.
     */
    private void resolveTick() {
        if (!tickPending) {
            return;
        }
        tickPending = false;
        long n = pendingN;
        if (scanBeforeTick) {
            pendingTick.clear();
            for (Model m : tickReached) {
                // By the server's ticks, not by time: one idle by time but not yet by ticks was still
                // open at the tick, and a broadcast that pushed it past maxBacklog closed it (seed 104931).
                if (m.c.serverClosed && closedByScan(m)) {
                    pendingTick.add(m);
                }
            }
            if (!pendingTick.isEmpty()) {
                long corrected = n - pendingTick.size();
                for (Model m : tickReached) {
                    if (pendingTick.contains(m)) {
                        m.expectedN.removeLast(); // closed as idle before the broadcast ran: no line
                        m.tickDeadlines.removeLast();
                        m.status -= statusLength(n);
                    } else {
                        m.expectedN.setLast(corrected);
                        m.status += statusLength(corrected) - statusLength(n);
                    }
                }
                tickReached.removeAll(pendingTick);
                n = corrected;
            }
        }
        ticks++;
        net.trace().event(lastReturn, "tick", ticks, n);
    }

    static long statusLength(long n) {
        return "Server status: ".length() + Long.toString(n).length() + " active connections\n".length();
    }

    // ---------------------------------------------------------------- callbacks

    @Override
    public void delivering(SimBackend.Op op, int handle, SimConnection c, int bytes) {
        Model m = c == null ? null : model(c);
        if (c != null && c.serverClosed) {
            fail("callback " + op + " for closed " + c);
        }
        currentOp = op;
        current = m;
        readArmsDuringCallback = 0;
        if (m != null) {
            changed(m);
        }
        switch (op) {
            case ACCEPT -> {
                while (byId.size() <= c.id) {
                    byId.add(null);
                }
                m = new Model(c);
                byId.set(c.id, m);
                current = m;
                changed(m);
            }
            case ACCEPT_ERROR -> {
                acceptArmed = false;
                acceptFailed = true;
                acceptErrorAt = net.now();
                acceptErrors++;
            }
            case READ -> {
                m.in += bytes;
                m.armed = false;
            }
            case EOF -> {
                m.eof = true;
                m.armed = false;
            }
            case WRITTEN -> m.written += bytes;
            case ERROR -> {
            }
        }
    }

    @Override
    public void delivered(SimBackend.Op op, int handle, SimConnection c, int bytes) {
        Model m = current;
        currentOp = null;
        current = null;
        if (c == null) {
            return;
        }
        boolean closed = c.serverClosed;
        long q = m.queued();
        switch (op) {
            case ACCEPT -> {
                boolean mustRefuse = stopping || open.size() >= config.maxConnections();
                if (closed != mustRefuse) {
                    fail(c + (closed ? " refused" : " accepted") + " with " + open.size() + " connections open (max "
                            + config.maxConnections() + ", stopping " + stopping + ")");
                }
                if (closed) {
                    m.closed = Closed.REFUSED;
                } else {
                    open.add(m);
                    if (!c.readArmed) {
                        fail(c + " accepted without a read armed");
                    }
                }
            }
            case READ -> {
                boolean over = q > config.maxBacklog();
                if (over != closed) {
                    fail(c + (closed ? " closed after a read without passing maxBacklog" : " passed maxBacklog and was not closed")
                            + " (queued " + q + ", maxBacklog " + config.maxBacklog() + ")");
                }
                if (closed) {
                    m.closed = Closed.BACKLOG;
                    m.closedAt = net.now();
                    open.remove(m);
                    return;
                }
                if (stopping) {
                    if (c.readArmed) {
                        fail(c + ": read re-armed while stopping");
                    }
                } else if (c.readArmed != (q <= config.highWatermark())) {
                    fail(c + (c.readArmed ? ": read armed above the high watermark" : ": read not re-armed at or below the high watermark")
                            + " (queued " + q + ", high " + config.highWatermark() + ")");
                }
                if (q > 0 && c.writing == null) {
                    fail(c + " has " + q + " bytes queued after a read and no write in flight");
                }
            }
            case EOF -> {
                if (closed != (q == 0)) {
                    fail(c + (closed ? " closed on end of stream with " + q + " bytes still to echo (half-close must flush)"
                            : " not closed on end of stream with nothing queued"));
                }
                if (closed) {
                    m.closed = Closed.AFTER_EOF;
                    m.closedAt = net.now();
                }
            }
            case WRITTEN -> {
                boolean mustClose = q == 0 && (m.eof || stopping);
                if (closed != mustClose) {
                    fail(c + (closed ? " closed after a write with " + q + " bytes queued (eof " + m.eof + ", stopping " + stopping + ")"
                            : " not closed after flushing everything (eof " + m.eof + ", stopping " + stopping + ")"));
                }
                if (closed) {
                    m.closed = m.eof ? Closed.AFTER_EOF : Closed.FLUSHED_AT_STOP;
                    m.closedAt = net.now();
                    open.remove(m);
                    return;
                }
                if (q > 0 && c.writing == null) {
                    fail(c + " should still have " + q + " bytes queued (read " + m.in + " + status lines " + m.status + " - written "
                            + m.written + ") but no write is in flight: the server lost them (a status line not queued, echo dropped)");
                }
                if (!stopping && !m.eof && !c.readArmed && q <= config.lowWatermark() && !c.clientReset) {
                    fail(c + ": reading not resumed at or below the low watermark (queued " + q + ", low " + config.lowWatermark() + ")");
                }
            }
            case ERROR -> {
                if (!closed) {
                    fail(c + " not closed after an error");
                }
                m.closed = Closed.ERROR;
                m.closedAt = net.now();
            }
            case ACCEPT_ERROR -> {
            }
        }
        if (closed) {
            open.remove(m);
        }
    }

    @Override
    public void readArmed(SimConnection c) {
        Model m = model(c);
        if (m == null) {
            return; // armed inside onAccept, before the model saw the accept return
        }
        if (stopping) {
            fail(c + ": read armed while stopping");
        }
        long q = m.queued();
        if (q > config.highWatermark()) {
            fail(c + ": read armed with " + q + " bytes queued, above the high watermark " + config.highWatermark());
        }
        if (currentOp == SimBackend.Op.WRITTEN && current == m && q > config.lowWatermark()) {
            fail(c + ": reading resumed with " + q + " bytes queued, above the low watermark " + config.lowWatermark());
        }
        readArmsDuringCallback++;
        m.armed = true;
        m.lastHeard = net.now();
        m.heardTick = scanTick;
    }

    @Override
    public void writeStarted(SimConnection c, int bytes) {
        Model m = model(c);
        if (m == null) {
            return;
        }
        changed(m);
        m.handedToWrite += bytes;
        m.writeEnds.add(m.handedToWrite);
        m.writeTimes.add(net.now());
        if (m.handedToWrite - m.written > m.queued() + 0) {
            fail(c + ": more handed to write (" + (m.handedToWrite - m.written) + ") than queued (" + m.queued() + ")");
        }
    }

    @Override
    public void acceptArmed(int listener) {
        long now = net.now();
        if (acceptFailed && now - (acceptErrorAt + backoff) < 0) {
            fail("accept re-armed " + (now - acceptErrorAt) + " ns after an accept error, before the back-off of " + config.acceptBackoff());
        }
        acceptArmed = true;
    }

    @Override
    public void closed(int handle, SimConnection c) {
        closedSincePoll = true;
        if (c == null) {
            if (!stopRequested) {
                fail("listener closed before a stop was requested");
            }
        }
    }

    // ---------------------------------------------------------------- after the run

    /** Checks what must hold once {@code run()} returned at {@code now}. */
    void afterRun(long now) {
        if (!stopping) {
            fail("run() returned without a stop");
        }
        long deadline = stopObservedAt + config.shutdownTimeout().toNanos() + maxPause + 1;
        if (now - deadline > 0) {
            fail("run() returned " + (now - stopObservedAt) / 1_000_000 + " ms after the stop, past the shutdown timeout "
                    + config.shutdownTimeout() + " (+ pauses " + maxPause / 1_000_000 + " ms)");
        }
        if (backend.openHandles() != 0) {
            fail(backend.openHandles() + " handles left open after run() returned");
        }
        pollStarted(now); // judges the closes of the last window
        long seconds = Math.max(1, (now - runStart) / 1_000_000_000L);
        long allowed = 20 + seconds * (3 + 3 * 1_000_000_000L / interval) + 3 * acceptErrors + 3 * backend.earlyReturns()
                + 3 * backend.pauses() + 3 * ticks + (scanInterval > 0 ? 3 * seconds * 1_000_000_000L / scanInterval : 0);
        if (backend.emptyPolls() > allowed) {
            fail("busy loop: " + backend.emptyPolls() + " polls delivered nothing in " + seconds + " virtual s (allowed " + allowed + ")");
        }
    }

    /** Checks one client's stream against its connection's model. */
    void checkClient(SimClient client, boolean healedLongEnough) {
        String error = client.check.error();
        if (error != null) {
            fail(client + ": " + error);
        }
        if (client.conn == null) {
            return;
        }
        Model m = model(client.conn);
        LongList got = client.check.statusN;
        if (m == null) {
            if (got.size() > 0 || client.check.echoed() > 0) {
                fail(client + " received data although it was never accepted");
            }
            return;
        }
        LongList want = m.expectedN;
        if (got.size() > want.size()) {
            fail(client + " received " + got.size() + " status lines, only " + want.size() + " ticks reached it: got " + got + ", want " + want);
        }
        for (int i = 0; i < got.size(); i++) {
            if (got.get(i) != want.get(i)) {
                fail(client + " status line " + i + " says " + got.get(i) + " active connections, the tick saw " + want.get(i)
                        + ": got " + got + ", want " + want);
            }
            long offset = client.check.statusOffsets.get(i);
            long writtenAt = writeTimeOf(m, offset);
            if (writtenAt != Long.MIN_VALUE && writtenAt - m.tickDeadlines.get(i) < 0) {
                fail(client + " status line " + i + " was handed to write() " + (m.tickDeadlines.get(i) - writtenAt)
                        + " ns before its tick was due");
            }
        }
        boolean cut = client.conn.clientReset || client.conn.resetByServer || m.closed == Closed.BACKLOG || m.closed == Closed.IDLE
                || m.closed == Closed.ERROR || m.closed == Closed.SHUTDOWN || m.closed == Closed.REFUSED
                || client.kind == SimClient.Kind.NON_READER || client.kind == SimClient.Kind.SLOW_READER
                || client.conn.clientClosed;
        if (!cut && client.closedByServerSeen) {
            if (got.size() != want.size()) {
                fail(client + " was closed gracefully (" + m.closed + ") after " + got.size() + " of " + want.size() + " status lines: got "
                        + got + ", want " + want);
            }
            if (client.check.inLine()) {
                fail(client + " was closed gracefully in the middle of a status line");
            }
            if (m.closed == Closed.AFTER_EOF && client.check.echoed() != client.sent) {
                fail(client + " half-closed and was closed after " + client.check.echoed() + " of " + client.sent + " bytes echoed");
            }
        }
        boolean wellBehaved = client.kind == SimClient.Kind.ECHOER || client.kind == SimClient.Kind.HALF_CLOSER;
        if (wellBehaved && healedLongEnough && !client.conn.clientReset && !client.conn.resetByServer
                && (m.closed == Closed.OPEN || m.closed == Closed.AFTER_EOF) && client.sentAllAt != Long.MIN_VALUE
                && !client.finished) {
            fail(client + " did not finish after the network healed: " + client.check.echoed() + " of " + client.sent
                    + " bytes echoed (model: " + m.closed + ", queued " + m.queued() + ")");
        }
    }

    private static long writeTimeOf(Model m, long offset) {
        int lo = 0;
        int hi = m.writeEnds.size() - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (m.writeEnds.get(mid) > offset) {
                found = mid;
                hi = mid - 1;
            } else {
                lo = mid + 1;
            }
        }
        return found < 0 ? Long.MIN_VALUE : m.writeTimes.get(found);
    }
}
