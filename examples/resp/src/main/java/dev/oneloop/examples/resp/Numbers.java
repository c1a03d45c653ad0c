package dev.oneloop.examples.resp;

import java.nio.ByteBuffer;

/** Decimal integers as Redis reads and writes them, without allocating. */
final class Numbers {

    /** Not a valid integer. */
    static final long INVALID = Long.MIN_VALUE;

    private Numbers() {
    }

    /**
     * Redis's {@code string2ll}: {@code 0}, or an optional {@code -} followed by a digit 1-9 and more
     * digits, within the range of a {@code long}. Returns {@link #INVALID} otherwise (and for
     * {@code Long.MIN_VALUE}, which no caller needs).
     */
    static long parseLong(ByteBuffer source, int offset, int length) {
        if (length == 0 || length > 20) {
            return INVALID;
        }
        if (length == 1 && source.get(offset) == '0') {
            return 0;
        }
        int i = offset;
        int end = offset + length;
        boolean negative = false;
        if (source.get(i) == '-') {
            negative = true;
            i++;
            if (i == end) {
                return INVALID;
            }
        }
        int first = source.get(i);
        if (first < '1' || first > '9') {
            return INVALID;
        }
        long value = 0;
        for (; i < end; i++) {
            int d = source.get(i) - '0';
            if (d < 0 || d > 9) {
                return INVALID;
            }
            if (value > (Long.MAX_VALUE - d) / 10) {
                return INVALID;
            }
            value = value * 10 + d;
        }
        return negative ? -value : value;
    }

    /** Number of characters of {@code value} in decimal. */
    static int decimalLength(long value) {
        if (value < 0) {
            return value == Long.MIN_VALUE ? 20 : 1 + decimalLength(-value);
        }
        int length = 1;
        long bound = 10;
        while (length < 19 && value >= bound) {
            length++;
            bound *= 10;
        }
        return length;
    }

    /** Writes {@code value} in decimal at {@code dst[offset..]}; returns the index after the last digit. */
    static int writeDecimal(long value, byte[] dst, int offset) {
        int length = decimalLength(value);
        int end = offset + length;
        if (value == Long.MIN_VALUE) {
            byte[] min = "-9223372036854775808".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            System.arraycopy(min, 0, dst, offset, min.length);
            return end;
        }
        long v = value;
        if (v < 0) {
            dst[offset] = '-';
            v = -v;
        }
        int i = end;
        do {
            dst[--i] = (byte) ('0' + v % 10);
            v /= 10;
        } while (v != 0);
        return end;
    }
}
