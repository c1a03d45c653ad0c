package dev.oneloop.server;

import java.nio.charset.StandardCharsets;

/** {@code "Server status: N active connections\n"}, formatted into one reused array: no allocation per broadcast. */
final class StatusLine {

    static final byte[] PREFIX = "Server status: ".getBytes(StandardCharsets.US_ASCII);
    static final byte[] SUFFIX = " active connections\n".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_INT_DIGITS = 10;

    private final byte[] bytes = new byte[PREFIX.length + MAX_INT_DIGITS + SUFFIX.length];
    private int length;

    StatusLine() {
        System.arraycopy(PREFIX, 0, bytes, 0, PREFIX.length);
    }

    /** Formats the line for {@code activeConnections} (not negative); read it with {@link #bytes()} and {@link #length()}. */
    void format(int activeConnections) {
        int digits = 1;
        for (int rest = activeConnections / 10; rest > 0; rest /= 10) {
            digits++;
        }
        int end = PREFIX.length + digits;
        for (int i = end - 1, rest = activeConnections; i >= PREFIX.length; i--, rest /= 10) {
            bytes[i] = (byte) ('0' + rest % 10);
        }
        System.arraycopy(SUFFIX, 0, bytes, end, SUFFIX.length);
        length = end + SUFFIX.length;
    }

    byte[] bytes() {
        return bytes;
    }

    int length() {
        return length;
    }
}
