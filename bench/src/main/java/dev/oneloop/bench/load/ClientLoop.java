package dev.oneloop.bench.load;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.HdrHistogram.Histogram;

/**
 * One client thread: a selector over its share of the connections, sending messages and verifying
 * every echoed byte. Cheap by design, because on this machine the client has one core against the
 * server's one: no allocation per message, one read per readiness, vectorized comparison.
 */
final class ClientLoop implements Runnable {

    /** Latencies above this are recorded as this; a closed loop never waits that long. */
    static final long MAX_LATENCY_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final int MAX_ERRORS_KEPT = 5;
    private static final byte[] STATUS_PREFIX = "Server status: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] STATUS_SUFFIX = " active connections\n".getBytes(StandardCharsets.US_ASCII);

    private final LoadSpec spec;
    private Timeline timeline;
    private final Selector selector;
    private final List<ClientConnection> connections = new ArrayList<>();
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(64 * 1024);
    private final ByteBuffer pattern;
    private final int messageSize;
    private final int mask;
    private final double nanosPerMessage; // at a fixed rate, this thread's share
    final Histogram latencies = new Histogram(MAX_LATENCY_NANOS, 3);

    /** Read by the coordinator while this thread runs. */
    final AtomicLong completed = new AtomicLong();
    final AtomicLong bytesVerified = new AtomicLong();

    long statusLines;
    long skipped;
    long failedConnections;
    long unfinished;
    final List<String> errors = new ArrayList<>();
    private long outstanding;
    private long scheduled;
    private int nextConnection;
    private boolean sendingStopped;
    private volatile boolean aborted;

    ClientLoop(LoadSpec spec, Payload payload, int threadShareOfRate) throws IOException {
        this.spec = spec;
        this.selector = Selector.open();
        this.pattern = payload.view();
        this.messageSize = payload.messageSize();
        this.mask = spec.maxInFlight() - 1;
        this.nanosPerMessage = spec.closedLoop() ? 0 : 1e9 / Math.max(1, threadShareOfRate);
    }

    void add(ClientConnection c) throws IOException {
        c.channel.configureBlocking(false);
        c.key = c.channel.register(selector, SelectionKey.OP_READ, c);
        connections.add(c);
    }

    /** Set before the thread starts: the phases of the run. */
    void begin(Timeline timeline) {
        this.timeline = timeline;
    }

    void abort() {
        aborted = true;
        selector.wakeup();
    }

    @Override
    public void run() {
        try {
            if (spec.closedLoop()) {
                long now = System.nanoTime();
                for (ClientConnection c : connections) {
                    start(c, now);
                }
            }
            while (!aborted) {
                long now = System.nanoTime();
                if (now >= timeline.stopSending()) {
                    sendingStopped = true;
                    if (outstanding == 0 || now >= timeline.drainDeadline()) {
                        break;
                    }
                }
                long timeoutMillis = 100;
                if (!spec.closedLoop() && !sendingStopped) {
                    sendDue(now);
                    long nextDue = timeline.start() + (long) (scheduled * nanosPerMessage);
                    timeoutMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(nextDue - System.nanoTime()));
                }
                selector.select(this::onReady, timeoutMillis);
            }
        } catch (IOException | RuntimeException e) {
            StackTraceElement[] at = e.getStackTrace();
            error("client thread failed: " + e + (at.length > 0 ? " at " + at[0] : ""));
        } finally {
            for (ClientConnection c : connections) {
                if (!c.failed) {
                    unfinished += c.outstanding();
                }
                closeQuietly(c);
            }
            try {
                selector.close();
            } catch (IOException e) {
                error("closing the selector: " + e);
            }
        }
    }

    private void sendDue(long now) {
        long due = (long) ((now - timeline.start()) / nanosPerMessage);
        while (scheduled < due) {
            long intended = timeline.start() + (long) (scheduled * nanosPerMessage);
            scheduled++;
            ClientConnection c = connections.get(nextConnection);
            nextConnection = (nextConnection + 1) % connections.size();
            if (c.failed || c.outstanding() >= spec.maxInFlight()) {
                skipped++;
                continue;
            }
            start(c, intended);
        }
    }

    /** Starts the next message of {@code c}; its latency counts from {@code startNanos}. */
    private void start(ClientConnection c, long startNanos) {
        c.startNanos[(int) (c.startedSeq & mask)] = startNanos;
        c.startedSeq++;
        outstanding++;
        if (c.writeSeq == c.startedSeq - 1) {
            write(c);
        }
    }

    private void write(ClientConnection c) {
        try {
            while (c.writeSeq < c.startedSeq) {
                int offset = Payload.offset(c.id, c.writeSeq);
                pattern.limit(offset + messageSize).position(offset + c.writeOffset);
                c.writeOffset += c.channel.write(pattern);
                if (c.writeOffset < messageSize) {
                    // The socket buffer is full: finish this message when it becomes writable.
                    c.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                    return;
                }
                c.writeSeq++;
                c.writeOffset = 0;
            }
            if ((c.key.interestOps() & SelectionKey.OP_WRITE) != 0) {
                c.key.interestOps(SelectionKey.OP_READ);
            }
        } catch (IOException e) {
            fail(c, "write: " + e.getMessage());
        }
    }

    private void onReady(SelectionKey key) {
        ClientConnection c = (ClientConnection) key.attachment();
        if (key.isValid() && key.isWritable()) {
            write(c);
        }
        if (key.isValid() && key.isReadable()) {
            read(c);
        }
    }

    private void read(ClientConnection c) {
        readBuffer.clear();
        int n;
        try {
            n = c.channel.read(readBuffer);
        } catch (IOException e) {
            fail(c, "read: " + e.getMessage());
            return;
        }
        if (n < 0) {
            fail(c, "the server closed the connection with " + c.outstanding() + " echoes outstanding");
            return;
        }
        if (n > 0) {
            verify(c, n, System.nanoTime());
        }
    }

    /** Checks {@code readBuffer[0, n)} against what {@code c} expects: echo bytes or status lines. */
    private void verify(ClientConnection c, int n, long now) {
        int pos = 0;
        while (pos < n && !c.failed) {
            if (c.inStatusLine) {
                pos = statusByte(c, pos, n);
                continue;
            }
            int expectable = expectable(c);
            if (expectable == 0) {
                if (readBuffer.get(pos) != Payload.STATUS_START) {
                    fail(c, "unexpected byte 0x" + Integer.toHexString(readBuffer.get(pos) & 0xff) + " with no echo outstanding");
                    return;
                }
                c.inStatusLine = true;
                continue;
            }
            int len = Math.min(n - pos, expectable);
            int offset = Payload.offset(c.id, c.recvSeq) + c.recvOffset;
            readBuffer.limit(pos + len).position(pos);
            pattern.limit(offset + len).position(offset);
            int mismatch = readBuffer.mismatch(pattern);
            readBuffer.limit(n); // absolute gets below check against the limit
            int matched = mismatch < 0 ? len : mismatch;
            pos += matched;
            c.recvOffset += matched;
            bytesVerified.lazySet(bytesVerified.get() + matched);
            if (mismatch >= 0) {
                if (readBuffer.get(pos) != Payload.STATUS_START) {
                    fail(c, "echo of message " + c.recvSeq + " differs at byte " + c.recvOffset + ": expected 0x"
                            + Integer.toHexString(pattern.get(offset + mismatch) & 0xff) + ", got 0x"
                            + Integer.toHexString(readBuffer.get(pos) & 0xff));
                    return;
                }
                c.inStatusLine = true;
            } else if (c.recvOffset == messageSize) {
                complete(c, now);
            }
        }
    }

    /** Echo bytes {@code c} may receive now: the rest of the message being verified that was written. */
    private int expectable(ClientConnection c) {
        if (c.recvSeq < c.writeSeq) {
            return messageSize - c.recvOffset;
        }
        if (c.recvSeq == c.writeSeq && c.recvSeq < c.startedSeq) {
            return c.writeOffset - c.recvOffset;
        }
        return 0;
    }

    private void complete(ClientConnection c, long now) {
        long latency = now - c.startNanos[(int) (c.recvSeq & mask)];
        if (now >= timeline.recordFrom() && now < timeline.recordUntil()) {
            latencies.recordValue(Math.min(Math.max(latency, 0), MAX_LATENCY_NANOS));
        }
        c.recvSeq++;
        c.recvOffset = 0;
        outstanding--;
        completed.lazySet(completed.get() + 1);
        if (spec.closedLoop() && !sendingStopped) {
            start(c, System.nanoTime());
        }
    }

    private int statusByte(ClientConnection c, int pos, int n) {
        while (pos < n) {
            byte b = readBuffer.get(pos++);
            if (c.statusLength == c.statusLine.length) {
                fail(c, "a line starting with 'S' is not a status line: " + ascii(c.statusLine, c.statusLength));
                return n;
            }
            c.statusLine[c.statusLength++] = b;
            if (b == '\n') {
                if (!isStatusLine(c.statusLine, c.statusLength)) {
                    fail(c, "malformed status line: " + ascii(c.statusLine, c.statusLength));
                    return n;
                }
                statusLines++;
                c.statusLength = 0;
                c.inStatusLine = false;
                return pos;
            }
        }
        return pos;
    }

    static boolean isStatusLine(byte[] line, int length) {
        int digits = length - STATUS_PREFIX.length - STATUS_SUFFIX.length;
        if (digits < 1) {
            return false;
        }
        for (int i = 0; i < STATUS_PREFIX.length; i++) {
            if (line[i] != STATUS_PREFIX[i]) {
                return false;
            }
        }
        for (int i = 0; i < digits; i++) {
            byte d = line[STATUS_PREFIX.length + i];
            if (d < '0' || d > '9') {
                return false;
            }
        }
        for (int i = 0; i < STATUS_SUFFIX.length; i++) {
            if (line[STATUS_PREFIX.length + digits + i] != STATUS_SUFFIX[i]) {
                return false;
            }
        }
        return true;
    }

    private static String ascii(byte[] bytes, int length) {
        return new String(bytes, 0, length, StandardCharsets.ISO_8859_1).replace("\n", "\\n");
    }

    private void fail(ClientConnection c, String reason) {
        if (c.failed) {
            return;
        }
        c.failed = true;
        failedConnections++;
        outstanding -= c.outstanding();
        error("connection " + c.id + ": " + reason);
        closeQuietly(c);
    }

    private void error(String message) {
        if (errors.size() < MAX_ERRORS_KEPT) {
            errors.add(message);
        }
    }

    private static void closeQuietly(ClientConnection c) {
        try {
            c.channel.close();
        } catch (IOException e) {
            // Closing a connection that already failed: nothing more to learn.
        }
    }
}
