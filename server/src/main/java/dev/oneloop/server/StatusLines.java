package dev.oneloop.server;

import java.nio.ByteBuffer;

/**
 * Every status line the server can send, {@code "Server status: N active connections\n"} for each N
 * from 0 to the connection limit, formatted once at start into one direct buffer that never changes
 * afterwards (40 bytes per possible N at the default 10,000 connections: 391 KiB).
 *
 * <p>A broadcast therefore copies nothing and allocates nothing: each connection's queue refers to
 * the line's bytes here (an offset and a length) and writes them through its own view of this
 * buffer. Because no byte is ever rewritten, a completion-model kernel may read a line at any time,
 * also after the connection that sent it was closed, and every tick with the same N sends the same
 * memory. Not thread-safe to create; read-only afterwards.
 */
final class StatusLines {

    private final ByteBuffer table;
    private final int stride;
    private final int maxCount;

    /** @param maxCount the largest N a line is needed for (the connection limit) */
    StatusLines(int maxCount) {
        if (maxCount < 0) {
            throw new IllegalArgumentException("maxCount must not be negative: " + maxCount);
        }
        StatusLine line = new StatusLine();
        line.format(maxCount);
        this.maxCount = maxCount;
        this.stride = line.length();
        this.table = ByteBuffer.allocateDirect(Math.multiplyExact(maxCount + 1, stride));
        for (int n = 0; n <= maxCount; n++) {
            line.format(n);
            table.put(n * stride, line.bytes(), 0, line.length());
        }
    }

    int maxCount() {
        return maxCount;
    }

    /** Where the line for {@code n} connections starts in {@link #newView()}'s buffer. */
    int offset(int n) {
        if (n < 0 || n > maxCount) {
            throw new IllegalArgumentException("no status line for " + n + " (max " + maxCount + ")");
        }
        return n * stride;
    }

    /** Length in bytes of the line for {@code n} connections. */
    int length(int n) {
        int digits = 1;
        for (int rest = n / 10; rest > 0; rest /= 10) {
            digits++;
        }
        return StatusLine.PREFIX.length + digits + StatusLine.SUFFIX.length;
    }

    /** Copies {@code length} bytes at {@code offset} to {@code dst}'s position, advancing it; the table is untouched. */
    void copyTo(int offset, int length, ByteBuffer dst) {
        dst.put(dst.position(), table, offset, length);
        dst.position(dst.position() + length);
    }

    /** A new view of the whole table with its own position and limit, for one connection's writes. */
    ByteBuffer newView() {
        return table.duplicate();
    }

    /** Bytes of the table, fixed for the server's lifetime. */
    int capacity() {
        return table.capacity();
    }
}
