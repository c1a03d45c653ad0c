package dev.oneloop.examples.resp;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The arguments of one parsed command, as slices of the buffer they were parsed from: the backend's
 * read view, a connection's buffer of unparsed input, or (for inline commands with quotes) a scratch
 * buffer. Valid until the next command is parsed; nothing is copied. Loop thread only.
 */
final class Args {

    private ByteBuffer source;
    private int[] offsets = new int[16];
    private int[] lengths = new int[16];
    private int count;

    void reset(ByteBuffer source) {
        this.source = source;
        count = 0;
    }

    void add(int offset, int length) {
        if (count == offsets.length) {
            offsets = Arrays.copyOf(offsets, count * 2);
            lengths = Arrays.copyOf(lengths, count * 2);
        }
        offsets[count] = offset;
        lengths[count] = length;
        count++;
    }

    int count() {
        return count;
    }

    ByteBuffer source() {
        return source;
    }

    int offset(int i) {
        return offsets[i];
    }

    int length(int i) {
        return lengths[i];
    }

    /** Whether argument {@code i} equals {@code upper} (ASCII upper case) ignoring case. */
    boolean is(int i, byte[] upper) {
        int length = lengths[i];
        if (length != upper.length) {
            return false;
        }
        int offset = offsets[i];
        for (int j = 0; j < length; j++) {
            int b = source.get(offset + j);
            if (b >= 'a' && b <= 'z') {
                b -= 'a' - 'A';
            }
            if (b != upper[j]) {
                return false;
            }
        }
        return true;
    }

    /** Argument {@code i} as a decimal {@code long} ({@link Numbers#parseLong}), or {@link Numbers#INVALID}. */
    long parseLong(int i) {
        return Numbers.parseLong(source, offsets[i], lengths[i]);
    }

    byte[] copy(int i) {
        byte[] bytes = new byte[lengths[i]];
        source.get(offsets[i], bytes);
        return bytes;
    }

    /** Argument {@code i} as text, for error replies (not on the hot path); stops at a NUL byte as Redis's {@code %s} does. */
    String text(int i, int maxBytes) {
        int length = Math.min(lengths[i], maxBytes);
        byte[] bytes = new byte[length];
        source.get(offsets[i], bytes);
        for (int j = 0; j < length; j++) {
            if (bytes[j] == 0) {
                length = j;
                break;
            }
        }
        return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
    }
}
