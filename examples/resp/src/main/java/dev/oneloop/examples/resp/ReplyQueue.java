package dev.oneloop.examples.resp;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/**
 * One connection's replies waiting to be sent, encoded straight into pooled direct buffers, written
 * from the head with at most one write in flight. The head is sealed while the backend owns it, so
 * later replies go to a buffer behind it and never touch memory a completion-model kernel may be
 * reading. Encoding a reply allocates nothing. Loop thread only.
 */
final class ReplyQueue {

    /** Direct buffers shared by every connection of a server. */
    static final class Pool {
        private final int chunkSize;
        private final int maxPooled;
        private final ArrayDeque<ByteBuffer> free;

        Pool(int chunkSize, int maxPooled) {
            this.chunkSize = chunkSize;
            this.maxPooled = maxPooled;
            this.free = new ArrayDeque<>(Math.min(maxPooled, 1024));
        }

        ByteBuffer take() {
            ByteBuffer b = free.pollLast();
            return b != null ? b.clear() : ByteBuffer.allocateDirect(chunkSize);
        }

        void give(ByteBuffer b) {
            if (free.size() < maxPooled) {
                free.addLast(b);
            }
        }
    }

    private static final byte[] CRLF = {'\r', '\n'};

    private final Pool pool;
    private final ArrayDeque<ByteBuffer> chunks = new ArrayDeque<>(4);
    /** The chunk replies are appended to; {@code null} when the last chunk is sealed or there is none. */
    private ByteBuffer tail;
    private boolean headInFlight;
    private long size;
    private final byte[] number = new byte[24];

    ReplyQueue(Pool pool) {
        this.pool = pool;
    }

    /** Bytes queued, including those of the buffer in flight. */
    long size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    boolean writeInFlight() {
        return headInFlight;
    }

    void raw(byte[] bytes) {
        put(bytes, 0, bytes.length);
    }

    /** {@code :value\r\n} */
    void integer(long value) {
        header((byte) ':', value);
    }

    /** {@code $length\r\n} + the bytes + {@code \r\n} */
    void bulk(ByteBuffer src, int offset, int length) {
        header((byte) '$', length);
        int remaining = length;
        int from = offset;
        while (remaining > 0) {
            ByteBuffer dst = writableTail();
            int n = Math.min(remaining, dst.remaining());
            dst.put(dst.position(), src, from, n);
            dst.position(dst.position() + n);
            from += n;
            remaining -= n;
            size += n;
        }
        put(CRLF, 0, 2);
    }

    void bulk(byte[] value) {
        header((byte) '$', value.length);
        put(value, 0, value.length);
        put(CRLF, 0, 2);
    }

    void bulk(String value) {
        bulk(value.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** {@code *count\r\n} */
    void arrayHeader(int count) {
        header((byte) '*', count);
    }

    /** {@code -message\r\n}, with CR and LF replaced by spaces as Redis does so the reply stays one line. */
    void error(String message) {
        byte[] bytes = ("-" + message).getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\r' || bytes[i] == '\n') {
                bytes[i] = ' ';
            }
        }
        put(bytes, 0, bytes.length);
        put(CRLF, 0, 2);
    }

    private void header(byte type, long value) {
        number[0] = type;
        int end = Numbers.writeDecimal(value, number, 1);
        number[end] = '\r';
        number[end + 1] = '\n';
        put(number, 0, end + 2);
    }

    private void put(byte[] src, int offset, int length) {
        while (length > 0) {
            ByteBuffer dst = writableTail();
            int n = Math.min(length, dst.remaining());
            dst.put(src, offset, n);
            offset += n;
            length -= n;
            size += n;
        }
    }

    /**
     * Seals the head buffer and returns it ready to be written. It is the backend's until
     * {@link #headWritten()} or {@link #clear()}.
     */
    ByteBuffer sealHead() {
        if (headInFlight || size == 0) {
            throw new IllegalStateException(headInFlight ? "a write is already in flight" : "nothing to write");
        }
        headInFlight = true;
        ByteBuffer head = chunks.peekFirst();
        if (head == tail) {
            tail = null;
        }
        return head.flip();
    }

    /** The sealed head was written completely: returns it to the pool. */
    void headWritten() {
        if (!headInFlight) {
            throw new IllegalStateException("no write in flight");
        }
        headInFlight = false;
        ByteBuffer written = chunks.pollFirst();
        size -= written.limit();
        pool.give(written);
    }

    /**
     * Drops everything queued. A buffer still in flight is not returned to the pool: the connection
     * was closed under it and a completion-model kernel may still read from it.
     */
    void clear() {
        if (headInFlight) {
            chunks.pollFirst();
        }
        ByteBuffer b;
        while ((b = chunks.pollFirst()) != null) {
            pool.give(b);
        }
        tail = null;
        size = 0;
        headInFlight = false;
    }

    private ByteBuffer writableTail() {
        if (tail == null || !tail.hasRemaining()) {
            tail = pool.take();
            chunks.addLast(tail);
        }
        return tail;
    }
}
