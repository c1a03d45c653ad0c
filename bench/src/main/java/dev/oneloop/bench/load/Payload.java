package dev.oneloop.bench.load;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/**
 * The bytes every connection sends, and so expects back. Message {@code k} of connection {@code c}
 * is a window of one random pattern starting at an offset that depends on both, so an echo that
 * went to the wrong connection, or out of order, differs from what is expected.
 *
 * <p>The pattern never contains {@code 'S'}: in the echoed stream an {@code 'S'} can only start one
 * of the server's {@code Server status: N active connections\n} lines, which may arrive between any
 * two bytes of an echo. That is how the client tells them apart without slowing the server down
 * with a long status interval: it verifies the echo byte for byte and every status line's syntax.
 */
final class Payload {

    static final byte STATUS_START = 'S';
    private static final int PERIOD = 1 << 16;

    private final ByteBuffer pattern;
    private final int messageSize;

    Payload(int messageSize, long seed) {
        this.messageSize = messageSize;
        this.pattern = ByteBuffer.allocateDirect(PERIOD + messageSize);
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < pattern.capacity(); i++) {
            byte b = (byte) random.nextInt(256);
            pattern.put(i, b == STATUS_START ? (byte) 's' : b);
        }
    }

    int messageSize() {
        return messageSize;
    }

    /** Where in the pattern message {@code seq} of connection {@code connection} starts. */
    static int offset(int connection, long seq) {
        return (int) ((connection * 7919L + seq * 131L) & (PERIOD - 1));
    }

    /** A view of its own for one client thread: positions and limits are set per message. */
    ByteBuffer view() {
        return pattern.duplicate();
    }
}
