package dev.oneloop.bench.load;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The fan-out measurement: N connections each echo one message (verified), then only receive the
 * server's status broadcast for a window. Everything runs on the calling thread, one selector over
 * every connection, no allocation per line: each connection's bytes are checked against the status
 * line's grammar as they arrive.
 *
 * <p>Status lines carry no tick number, so ticks are told apart by who received what. The window
 * starts between two broadcasts (a quarter interval without a line, every connection having had
 * one within the last interval), so every connection counts from the same tick. Then a line on a
 * connection that already has the current tick's starts the next tick, unless it came within an
 * eighth of an interval of that one (a duplicate); a line on a connection without the current
 * tick's joins it, unless it arrives half an interval into it and a tick and a half after the
 * connection's previous line (it missed the current tick and is the first to get the next one).
 * A connection that skips a tick counts it as missing. This assumes every broadcast reaches every
 * connection within half an interval or so, as it must for a server to keep up. A tick is measured if its first line arrived inside the
 * window; each connection must receive exactly one whole line per measured tick. The spread of a
 * tick is the time from the first to the last connection receiving its line, as observed by this
 * client (its own reading speed is part of it).
 */
public final class FanoutRun {

    /** Connections opened before their echoes are awaited: below every server's listen backlog (1024). */
    static final int BATCH = 500;
    private static final long CONNECT_TIMEOUT_MILLIS = 5_000;
    private static final long BATCH_ECHO_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final int MAX_ERRORS_KEPT = 5;
    private static final int PING_SIZE = 16;
    private static final byte[] PREFIX = "Server status: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SUFFIX = " active connections\n".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_DIGITS = 10;

    private enum Phase { CONNECTING, SETTLING, MEASURING, FINISHING }

    /** Where a connection is in the line it is receiving. */
    private static final int NO_LINE = 0;
    private static final int IN_PREFIX = 1;
    private static final int IN_DIGITS = 2;
    private static final int IN_SUFFIX = 3;

    private static final class Conn {
        final int id;
        final SocketChannel channel;
        int echoed;
        int lineState;
        int linePos;
        /** The tick of the last whole line received, -1 before the first, and when it arrived. */
        int lastTick = -1;
        long lastLineNanos;
        int measuredTicks;
        boolean failed;

        Conn(int id, SocketChannel channel) {
            this.id = id;
            this.channel = channel;
        }
    }

    private final InetSocketAddress target;
    private final int connections;
    private final Duration window;
    private final long interval;
    private final long serverPid;
    private final Duration settle;

    private Selector selector;
    private final List<Conn> conns = new ArrayList<>();
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(64 * 1024);
    private final ByteBuffer ping = ByteBuffer.allocateDirect(PING_SIZE);
    private final List<String> errors = new ArrayList<>();
    private Phase phase = Phase.CONNECTING;
    private int echoesVerified;
    private int failed;
    private long duplicates;
    private long missing;
    private long measuredLines;

    // Ticks, in order of their first line: first and last arrival, connections that got a line, measured or not.
    private int ticks;
    private long[] tickFirst = new long[64];
    private long[] tickLast = new long[64];
    private int[] tickLines = new int[64];
    private boolean[] tickMeasured = new boolean[64];
    private int firstMeasured = -1;
    private int lastMeasured = -1;
    private long lastLineNanos;

    /**
     * @param statusInterval the server's broadcast interval; the window should span a few
     * @param serverPid      the server's process for its CPU and memory, or -1 for none
     * @param settle         after the last echo, before the window may start (the server's memory is read then)
     */
    public FanoutRun(InetSocketAddress target, int connections, Duration window, Duration statusInterval, long serverPid,
            Duration settle) {
        if (connections < 1 || window.isZero() || window.isNegative() || statusInterval.isZero() || statusInterval.isNegative()) {
            throw new IllegalArgumentException("connections, window and status interval must be positive");
        }
        this.target = target;
        this.connections = connections;
        this.window = window;
        this.interval = statusInterval.toNanos();
        this.serverPid = serverPid;
        this.settle = settle;
    }

    public FanoutResult run() throws IOException {
        long rssBefore = rss();
        long started = System.nanoTime();
        try (Selector s = Selector.open()) {
            selector = s;
            if (!connectAll()) {
                return result(rssBefore, -1, -1, Double.NaN, Double.NaN, 0, (System.nanoTime() - started) / 1e9);
            }
            double connectSeconds = (System.nanoTime() - started) / 1e9;

            // Let the server settle (and JVMs finish what the connections started); begin the window
            // between two broadcasts, after one that reached every connection (the first may have
            // begun before the last connections were accepted), and count every connection's
            // ticks from there: the next line of each is the same broadcast's.
            phase = Phase.SETTLING;
            long settleUntil = System.nanoTime() + settle.toNanos();
            pump(settleUntil + 3 * interval, () -> System.nanoTime() >= settleUntil && betweenBroadcasts(System.nanoTime()));
            if (!betweenBroadcasts(System.nanoTime())) {
                errors.add("no pause between two broadcasts with every connection served within 3 intervals of connecting "
                        + "(none arrived, or they overlap); the window started regardless");
            }
            for (Conn c : conns) {
                c.lastTick = ticks - 1;
            }
            long rssConnected = rss();
            long cpu0 = cpuTicks();
            double client0 = clientCpuSeconds();
            long windowStart = System.nanoTime();

            phase = Phase.MEASURING;
            long windowEnd = windowStart + window.toNanos();
            pump(windowEnd, () -> false);
            phase = Phase.FINISHING;
            pump(windowEnd + interval, () -> lastMeasured < 0 || tickLines[lastMeasured] >= connections - failed);
            long cpu1 = cpuTicks();
            double client = clientCpuSeconds() - client0;
            double windowSeconds = (System.nanoTime() - windowStart) / 1e9;
            double cpu = cpu0 < 0 || cpu1 < 0 ? Double.NaN : (cpu1 - cpu0) / (double) ProcStat.CLOCK_TICKS_PER_SECOND;
            return result(rssBefore, rssConnected, rss(), cpu, client, windowSeconds, connectSeconds);
        } finally {
            for (Conn c : conns) {
                try {
                    c.channel.close();
                } catch (IOException e) {
                    // Closing at the end: nothing more to learn from this connection.
                }
            }
        }
    }

    /** Opens the connections in batches, each batch's echoes verified before the next; false if one could not be opened or none is left. */
    private boolean connectAll() throws IOException {
        for (int start = 0; start < connections; start += BATCH) {
            int end = Math.min(connections, start + BATCH);
            for (int i = start; i < end; i++) {
                SocketChannel ch = SocketChannel.open();
                Conn c = new Conn(i, ch);
                try {
                    ch.socket().connect(target, (int) CONNECT_TIMEOUT_MILLIS);
                    ch.configureBlocking(false);
                    ch.register(selector, SelectionKey.OP_READ, c);
                } catch (IOException e) {
                    ch.close();
                    // Kept even past the cap: it says why the run stopped.
                    errors.add(String.format(Locale.ROOT, "connection %d of %d to %s: %s", i + 1, connections, target, e.getMessage()));
                    return false;
                }
                conns.add(c);
                ping.clear();
                for (int j = 0; j < PING_SIZE; j++) {
                    ping.put(pingByte(i, j));
                }
                ping.flip();
                try {
                    if (ch.write(ping) != PING_SIZE) {
                        fail(c, "the echo request was not written at once");
                    }
                } catch (IOException e) {
                    fail(c, "write: " + e.getMessage());
                }
            }
            int batchEnd = end;
            pump(System.nanoTime() + BATCH_ECHO_TIMEOUT_NANOS, () -> echoesVerified + failed >= batchEnd);
            if (echoesVerified + failed < batchEnd) {
                // Kept even past the cap: it says why the run stopped.
                errors.add(String.format(Locale.ROOT, "%d of connections %d..%d not echoed within %d s", batchEnd - echoesVerified - failed,
                        start + 1, batchEnd, TimeUnit.NANOSECONDS.toSeconds(BATCH_ECHO_TIMEOUT_NANOS)));
                return false;
            }
        }
        return failed < connections;
    }

    /** The echo request of connection {@code id}: {@code ping} and its number, no {@code S}. */
    static byte pingByte(int id, int j) {
        if (j < 4) {
            return (byte) "ping".charAt(j);
        }
        if (j == PING_SIZE - 1) {
            return '\n';
        }
        int power = PING_SIZE - 2 - j; // digit positions 4..14, most significant first
        long div = 1;
        for (int k = 0; k < power; k++) {
            div *= 10;
        }
        return (byte) ('0' + (id / div) % 10);
    }

    private void pump(long deadline, BooleanSupplier done) throws IOException {
        while (!done.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            selector.select(this::onReady, Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(left))));
        }
    }

    private void onReady(SelectionKey key) {
        Conn c = (Conn) key.attachment();
        if (!key.isValid() || !key.isReadable()) {
            return;
        }
        readBuffer.clear();
        int n;
        try {
            n = c.channel.read(readBuffer);
        } catch (IOException e) {
            fail(c, "read: " + e.getMessage());
            return;
        }
        if (n < 0) {
            fail(c, "the server closed the connection");
            return;
        }
        long now = System.nanoTime();
        for (int i = 0; i < n && !c.failed; i++) {
            onByte(c, readBuffer.get(i), now);
        }
    }

    private void onByte(Conn c, byte b, long now) {
        switch (c.lineState) {
            case NO_LINE -> {
                if (b == 'S') {
                    c.lineState = IN_PREFIX;
                    c.linePos = 1;
                } else if (c.echoed < PING_SIZE && b == pingByte(c.id, c.echoed)) {
                    if (++c.echoed == PING_SIZE) {
                        echoesVerified++;
                    }
                } else {
                    fail(c, c.echoed < PING_SIZE
                            ? "echo differs at byte " + c.echoed + ": got " + show(b)
                            : "unexpected byte " + show(b) + " outside a status line");
                }
            }
            case IN_PREFIX -> {
                if (b != PREFIX[c.linePos]) {
                    malformed(c, b, PREFIX.length > c.linePos ? show(PREFIX[c.linePos]) : "?");
                } else if (++c.linePos == PREFIX.length) {
                    c.lineState = IN_DIGITS;
                    c.linePos = 0;
                }
            }
            case IN_DIGITS -> {
                if (b >= '0' && b <= '9' && c.linePos < MAX_DIGITS) {
                    c.linePos++;
                } else if (b == SUFFIX[0] && c.linePos > 0) {
                    c.lineState = IN_SUFFIX;
                    c.linePos = 1;
                } else {
                    malformed(c, b, "a digit");
                }
            }
            case IN_SUFFIX -> {
                if (b != SUFFIX[c.linePos]) {
                    malformed(c, b, show(SUFFIX[c.linePos]));
                } else if (++c.linePos == SUFFIX.length) {
                    c.lineState = NO_LINE;
                    line(c, now);
                }
            }
            default -> throw new IllegalStateException("line state " + c.lineState);
        }
    }

    private void malformed(Conn c, byte got, String expected) {
        fail(c, "malformed or partial status line: got " + show(got) + " where " + expected + " belongs");
    }

    /** A whole status line arrived on {@code c} at {@code now}. */
    private void line(Conn c, long now) {
        lastLineNanos = now;
        int current = ticks - 1;
        if (c.lastTick >= 0 && c.lastTick == current && now - c.lastLineNanos < interval / 8) {
            if (tickMeasured[current]) {
                duplicates++;
                error(String.format(Locale.ROOT, "connection %d: a second status line %.1f ms after the one of broadcast %d of the window",
                        c.id, (now - c.lastLineNanos) / 1e6, current - firstMeasured + 1));
            }
            return;
        }
        boolean next;
        if (c.lastTick < 0) {
            // The first line of a connection: the current tick's, unless that began half an interval ago.
            next = ticks == 0 || now - tickFirst[current] >= interval / 2;
        } else {
            // It has the current tick's line, so this is the next one's; or it has not, but this line
            // comes late in the current tick and a tick and a half after its previous one: it missed
            // the current tick and is the first to get the next.
            next = c.lastTick == current
                    || now - tickFirst[current] >= interval / 2 && now - c.lastLineNanos >= interval * 3 / 2;
        }
        if (next) {
            newTick(now);
        }
        int t = ticks - 1;
        for (int skipped = Math.max(0, c.lastTick + 1); skipped < t && c.lastTick >= 0; skipped++) {
            if (tickMeasured[skipped]) {
                missing++;
                error(String.format(Locale.ROOT, "connection %d: no status line in broadcast %d of the window", c.id, skipped - firstMeasured + 1));
            }
        }
        c.lastTick = t;
        c.lastLineNanos = now;
        tickLines[t]++;
        tickLast[t] = Math.max(tickLast[t], now);
        if (tickMeasured[t]) {
            c.measuredTicks++;
            measuredLines++;
        }
    }

    /**
     * A quarter interval without a line, and every connection got one within the last interval:
     * the last broadcast reached everyone and the next has not begun.
     */
    private boolean betweenBroadcasts(long now) {
        if (now - lastLineNanos < interval / 4) {
            return false;
        }
        for (Conn c : conns) {
            if (!c.failed && (c.lastTick < 0 || now - c.lastLineNanos > interval)) {
                return false;
            }
        }
        return true;
    }

    private void newTick(long now) {
        if (ticks == tickFirst.length) {
            int n = ticks * 2;
            tickFirst = Arrays.copyOf(tickFirst, n);
            tickLast = Arrays.copyOf(tickLast, n);
            tickLines = Arrays.copyOf(tickLines, n);
            tickMeasured = Arrays.copyOf(tickMeasured, n);
        }
        int t = ticks++;
        tickFirst[t] = now;
        tickLast[t] = now;
        tickMeasured[t] = phase == Phase.MEASURING;
        if (tickMeasured[t]) {
            if (firstMeasured < 0) {
                firstMeasured = t;
            }
            lastMeasured = t;
        }
    }

    private FanoutResult result(long rssBefore, long rssConnected, long rssEnd, double cpuSeconds, double clientCpuSeconds,
            double windowSeconds, double connectSeconds) {
        int measured = firstMeasured < 0 ? 0 : lastMeasured - firstMeasured + 1;
        long partial = 0;
        for (Conn c : conns) {
            if (c.failed || measured == 0) {
                continue;
            }
            // What the window's last broadcasts still owe this connection.
            long lost = lastMeasured - Math.max(c.lastTick, firstMeasured - 1);
            if (lost > 0 && c.lineState != NO_LINE) {
                // The line of the last broadcast began but never ended.
                partial++;
                lost--;
                error(String.format(Locale.ROOT, "connection %d: the status line of the window's last broadcast arrived only in part", c.id));
            }
            if (lost > 0) {
                missing += lost;
                error(String.format(Locale.ROOT, "connection %d: no status line in the last %d broadcast(s) of the window", c.id, lost));
            }
        }
        if (!conns.isEmpty() && conns.size() == connections && measured == 0 && errors.isEmpty()) {
            error("no status line arrived in the window of " + window.toMillis() + " ms");
        }
        // A tick no connection received (every one skipped it) has no spread.
        double[] spreads = new double[measured];
        int n = 0;
        for (int t = firstMeasured; t >= 0 && t <= lastMeasured; t++) {
            if (tickLines[t] > 0) {
                spreads[n++] = (tickLast[t] - tickFirst[t]) / 1e6;
            }
        }
        spreads = Arrays.copyOf(spreads, n);
        return new FanoutResult(connections, conns.size() - failed, echoesVerified, measured, measuredLines, missing, duplicates,
                partial, failed, windowSeconds, cpuSeconds, clientCpuSeconds, rssBefore, rssConnected, rssEnd, connectSeconds, spreads,
                List.copyOf(errors));
    }

    private void fail(Conn c, String reason) {
        if (c.failed) {
            return;
        }
        c.failed = true;
        failed++;
        error("connection " + c.id + ": " + reason);
        try {
            c.channel.close();
        } catch (IOException e) {
            // It failed already; the first reason is the one that counts.
        }
    }

    private void error(String message) {
        if (errors.size() < MAX_ERRORS_KEPT) {
            errors.add(message);
        }
    }

    private long rss() {
        return serverPid > 0 ? ProcStat.rssKiB(serverPid) : -1;
    }

    private long cpuTicks() {
        try {
            return serverPid > 0 ? ProcStat.cpuTicks(serverPid) : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    private static double clientCpuSeconds() {
        try {
            return ProcStat.cpuSeconds(ProcessHandle.current().pid());
        } catch (IOException e) {
            return Double.NaN;
        }
    }

    private static String show(byte b) {
        return b >= 0x20 && b < 0x7f ? "'" + (char) b + "'" : String.format(Locale.ROOT, "0x%02x", b & 0xff);
    }
}
