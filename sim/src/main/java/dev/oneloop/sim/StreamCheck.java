package dev.oneloop.sim;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What one client receives, checked as it arrives: the echo of exactly the bytes it sent, in order,
 * with whole {@code "Server status: N active connections\n"} lines between them. Clients send only
 * lowercase letters and digits, so an {@code 'S'} always starts a status line.
 */
final class StreamCheck {

    private static final byte[] ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PREFIX = "Server status: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SUFFIX = " active connections\n".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_LINE = PREFIX.length + 10 + SUFFIX.length;

    private final long dataSeed;
    private long echoed;
    /** Where the next echoed byte is expected in {@link #PATTERN}. */
    private int echoAt;
    private long received;
    private final byte[] line = new byte[MAX_LINE];
    private int lineLength = -1;
    private long lineStart;
    /** N of each whole status line, and the stream offset where it began. */
    final LongList statusN = new LongList();
    final LongList statusOffsets = new LongList();
    private String error;

    StreamCheck(long dataSeed) {
        this.dataSeed = dataSeed;
        this.echoAt = (int) Math.floorMod(dataSeed, (long) PATTERN.length);
    }

    /** A fixed random text of prime length; each client reads it from its own starting point. */
    private static final byte[] PATTERN = pattern(65_521);

    private static byte[] pattern(int length) {
        byte[] bytes = new byte[length];
        java.util.SplittableRandom random = new java.util.SplittableRandom(0x0E1100FL);
        for (int i = 0; i < length; i++) {
            bytes[i] = ALPHABET[random.nextInt(ALPHABET.length)];
        }
        return bytes;
    }

    /** Byte {@code offset} of what a client with {@code dataSeed} sends. */
    static byte dataByte(long dataSeed, long offset) {
        return PATTERN[(int) Math.floorMod(dataSeed + offset, (long) PATTERN.length)];
    }

    /** The fixed text every client sends a slice of (read only). */
    static byte[] pattern() {
        return PATTERN;
    }

    /** Where byte {@code offset} of what a client with {@code dataSeed} sends sits in {@link #pattern()}. */
    static int patternIndex(long dataSeed, long offset) {
        return (int) Math.floorMod(dataSeed + offset, (long) PATTERN.length);
    }

    /** Fills {@code into[0, length)} with bytes {@code offset...} of what a client with {@code dataSeed} sends. */
    static void fill(long dataSeed, long offset, byte[] into, int length) {
        int at = (int) Math.floorMod(dataSeed + offset, (long) PATTERN.length);
        int done = 0;
        while (done < length) {
            int n = Math.min(length - done, PATTERN.length - at);
            System.arraycopy(PATTERN, at, into, done, n);
            done += n;
            at = 0;
        }
    }

    void feed(byte[] bytes, int length, long sent) {
        int i = 0;
        while (i < length && error == null) {
            if (lineLength < 0) {
                // Echo, in bulk: the longest run that matches what was sent. PATTERN has no 'S', so a
                // status line, a wrong byte or a byte beyond those sent ends the run, to be judged below.
                int k = (int) Math.min(Math.min(length - i, PATTERN.length - echoAt), sent - echoed);
                if (k > 0) {
                    int mismatch = Arrays.mismatch(bytes, i, i + k, PATTERN, echoAt, echoAt + k);
                    int same = mismatch < 0 ? k : mismatch;
                    i += same;
                    received += same;
                    echoed += same;
                    echoAt += same;
                    if (echoAt == PATTERN.length) {
                        echoAt = 0;
                    }
                    if (mismatch < 0) {
                        continue;
                    }
                }
            }
            byte b = bytes[i++];
            long offset = received++;
            if (lineLength >= 0) {
                line[lineLength++] = b;
                if (b == '\n') {
                    parseLine();
                    lineLength = -1;
                } else if (lineLength == MAX_LINE) {
                    error = "status line longer than " + MAX_LINE + " bytes at offset " + lineStart;
                }
            } else if (b == 'S') {
                lineLength = 0;
                lineStart = offset;
                line[lineLength++] = b;
            } else if (echoed >= sent) {
                error = "byte " + describe(b) + " at stream offset " + offset + " beyond the " + sent + " bytes sent";
            } else if (b != PATTERN[echoAt]) {
                error = "echo byte " + echoed + " (stream offset " + offset + ") is " + describe(b) + ", sent "
                        + describe(dataByte(dataSeed, echoed));
            } else {
                echoed++;
                echoAt = echoAt + 1 == PATTERN.length ? 0 : echoAt + 1;
            }
        }
    }

    private void parseLine() {
        int digitsEnd = lineLength - SUFFIX.length;
        boolean ok = lineLength > PREFIX.length + SUFFIX.length;
        for (int i = 0; ok && i < PREFIX.length; i++) {
            ok = line[i] == PREFIX[i];
        }
        for (int i = 0; ok && i < SUFFIX.length; i++) {
            ok = line[digitsEnd + i] == SUFFIX[i];
        }
        long n = 0;
        for (int i = PREFIX.length; ok && i < digitsEnd; i++) {
            ok = line[i] >= '0' && line[i] <= '9';
            n = n * 10 + (line[i] - '0');
        }
        if (!ok) {
            error = "malformed status line at stream offset " + lineStart + ": \""
                    + new String(line, 0, lineLength, StandardCharsets.US_ASCII).replace("\n", "\\n") + "\"";
            return;
        }
        statusN.add(n);
        statusOffsets.add(lineStart);
    }

    private static String describe(byte b) {
        return b >= 32 && b < 127 ? "'" + (char) b + "'" : String.format("0x%02x", b & 0xff);
    }

    long echoed() {
        return echoed;
    }

    long received() {
        return received;
    }

    /** A status line was cut off: only acceptable when the connection was cut. */
    boolean inLine() {
        return lineLength >= 0;
    }

    String error() {
        return error;
    }
}
