package dev.oneloop.examples.resp;

import java.nio.ByteBuffer;

/**
 * Splits RESP2 requests into {@link Args}, in place: multibulk ({@code *2\r\n$3\r\nGET\r\n$1\r\nk\r\n})
 * and inline ({@code GET k\r\n}, with Redis's quoting rules), with Redis 7.0's limits and error
 * wording ({@code networking.c}: {@code processMultibulkBuffer}, {@code processInlineBuffer},
 * {@code sdssplitargs}). It keeps no state between calls: an incomplete request is parsed again from
 * its first byte when more input has arrived ({@link #bytesNeeded()} says how much is worth waiting
 * for, so a large value arriving in many reads is not re-scanned each time). Loop thread only.
 */
final class RequestParser {

    /** {@link #parse} result: the request is not complete yet. */
    static final int INCOMPLETE = -1;
    /** {@link #parse} result: the input breaks the protocol; see {@link #error()}. */
    static final int PROTOCOL_ERROR = -2;

    /** Redis's {@code PROTO_INLINE_MAX_SIZE}: the longest inline request, and the longest count line, without a newline. */
    static final int INLINE_MAX_SIZE = 64 * 1024;

    private final long maxBulkLength;
    private final long maxMultibulkLength;
    /** Unescaped arguments of inline requests: quoted ones differ from their input bytes. */
    private ByteBuffer inlineArgs = ByteBuffer.allocate(1024);
    private String error;
    private long bytesNeeded;

    RequestParser(long maxBulkLength, long maxMultibulkLength) {
        this.maxBulkLength = maxBulkLength;
        this.maxMultibulkLength = maxMultibulkLength;
    }

    /** The message after {@code -ERR } of the last {@link #PROTOCOL_ERROR}. */
    String error() {
        return error;
    }

    /** After {@link #INCOMPLETE}: the request needs at least this many bytes from where parsing started. */
    long bytesNeeded() {
        return bytesNeeded;
    }

    /**
     * Parses one request starting at {@code start} in {@code src}, up to {@code limit}.
     *
     * @return the position after the request, with {@code args} holding its arguments (none for an
     *         empty request, which Redis ignores); or {@link #INCOMPLETE}; or {@link #PROTOCOL_ERROR}
     */
    int parse(ByteBuffer src, int start, int limit, Args args) {
        bytesNeeded = 0;
        return src.get(start) == '*' ? parseMultibulk(src, start, limit, args) : parseInline(src, start, limit, args);
    }

    private int parseMultibulk(ByteBuffer src, int start, int limit, Args args) {
        args.reset(src);
        int cr = indexOf(src, start + 1, limit, '\r');
        if (cr < 0) {
            return limit - start > INLINE_MAX_SIZE ? fail("Protocol error: too big mbulk count string") : INCOMPLETE;
        }
        if (cr + 1 >= limit) {
            return INCOMPLETE;
        }
        long count = Numbers.parseLong(src, start + 1, cr - start - 1);
        if (count == Numbers.INVALID || count > maxMultibulkLength) {
            return fail("Protocol error: invalid multibulk length");
        }
        int p = cr + 2;
        for (long i = 0; i < count; i++) {
            if (p >= limit) {
                return INCOMPLETE;
            }
            cr = indexOf(src, p, limit, '\r');
            if (cr < 0) {
                return limit - p > INLINE_MAX_SIZE ? fail("Protocol error: too big bulk count string") : INCOMPLETE;
            }
            if (cr + 1 >= limit) {
                return INCOMPLETE;
            }
            byte first = src.get(p);
            if (first != '$') {
                return fail("Protocol error: expected '$', got '" + (char) (first & 0xff) + "'");
            }
            long length = Numbers.parseLong(src, p + 1, cr - p - 1);
            if (length == Numbers.INVALID || length < 0 || length > maxBulkLength) {
                return fail("Protocol error: invalid bulk length");
            }
            p = cr + 2;
            // Like Redis, the two bytes after the value are skipped, not checked for CRLF.
            if ((long) limit - p < length + 2) {
                bytesNeeded = (long) p - start + length + 2;
                return INCOMPLETE;
            }
            args.add(p, (int) length);
            p += (int) length + 2;
        }
        return p;
    }

    private int parseInline(ByteBuffer src, int start, int limit, Args args) {
        int newline = indexOf(src, start, limit, '\n');
        if (newline < 0) {
            return limit - start > INLINE_MAX_SIZE ? fail("Protocol error: too big inline request") : INCOMPLETE;
        }
        int end = newline > start && src.get(newline - 1) == '\r' ? newline - 1 : newline;
        if (!splitInline(src, start, end, args)) {
            return fail("Protocol error: unbalanced quotes in request");
        }
        return newline + 1;
    }

    /** Redis's {@code sdssplitargs} over {@code src[start, end)}; a NUL byte ends the line as it ends a C string. */
    private boolean splitInline(ByteBuffer src, int start, int end, Args args) {
        if (inlineArgs.capacity() < end - start) {
            inlineArgs = ByteBuffer.allocate(Math.max(end - start, inlineArgs.capacity() * 2));
        }
        ByteBuffer out = inlineArgs;
        out.clear();
        args.reset(out);
        int p = start;
        while (true) {
            while (p < end && isSpace(src.get(p))) {
                p++;
            }
            if (p >= end || src.get(p) == 0) {
                return true;
            }
            int argStart = out.position();
            boolean inDoubleQuotes = false;
            boolean inSingleQuotes = false;
            boolean done = false;
            while (!done) {
                int c = p < end ? src.get(p) & 0xff : 0;
                int next = p + 1 < end ? src.get(p + 1) & 0xff : 0;
                if (inDoubleQuotes) {
                    if (c == '\\' && next == 'x' && p + 3 < end && isHex(src.get(p + 2)) && isHex(src.get(p + 3))) {
                        out.put((byte) (hex(src.get(p + 2)) * 16 + hex(src.get(p + 3))));
                        p += 3;
                    } else if (c == '\\' && next != 0) {
                        p++;
                        out.put(switch (next) {
                            case 'n' -> (byte) '\n';
                            case 'r' -> (byte) '\r';
                            case 't' -> (byte) '\t';
                            case 'b' -> (byte) '\b';
                            case 'a' -> (byte) 7;
                            default -> (byte) next;
                        });
                    } else if (c == '"') {
                        // The closing quote must be followed by a space or nothing at all.
                        if (next != 0 && !isSpace((byte) next)) {
                            return false;
                        }
                        done = true;
                    } else if (c == 0) {
                        return false;
                    } else {
                        out.put((byte) c);
                    }
                } else if (inSingleQuotes) {
                    if (c == '\\' && next == '\'') {
                        p++;
                        out.put((byte) '\'');
                    } else if (c == '\'') {
                        if (next != 0 && !isSpace((byte) next)) {
                            return false;
                        }
                        done = true;
                    } else if (c == 0) {
                        return false;
                    } else {
                        out.put((byte) c);
                    }
                } else {
                    switch (c) {
                        case ' ', '\n', '\r', '\t', 0 -> done = true;
                        case '"' -> inDoubleQuotes = true;
                        case '\'' -> inSingleQuotes = true;
                        default -> out.put((byte) c);
                    }
                }
                if (c != 0) {
                    p++;
                }
            }
            args.add(argStart, out.position() - argStart);
        }
    }

    private int fail(String message) {
        error = message;
        return PROTOCOL_ERROR;
    }

    static int indexOf(ByteBuffer src, int from, int limit, char c) {
        for (int i = from; i < limit; i++) {
            if (src.get(i) == c) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == 0x0b || b == '\f';
    }

    private static boolean isHex(byte b) {
        return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
    }

    private static int hex(byte b) {
        return b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
    }
}
