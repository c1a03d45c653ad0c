package dev.oneloop.bench.jmh;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.SplittableRandom;

import dev.oneloop.server.EchoServerThread;

/** Client-side helpers of the JMH benchmarks: payloads, blocking loopback connections, exact reads. */
final class EchoPayload {

    private EchoPayload() {
    }

    /** A direct buffer of {@code size} random bytes, never {@code 'S'} (which would start a status line). */
    static ByteBuffer random(int size, long seed) {
        ByteBuffer b = ByteBuffer.allocateDirect(size);
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < size; i++) {
            byte v = (byte) random.nextInt(256);
            b.put(i, v == 'S' ? (byte) 's' : v);
        }
        return b;
    }

    static SocketChannel connect(EchoServerThread server) throws IOException {
        SocketChannel ch = SocketChannel.open(server.address());
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        return ch;
    }

    static void writeFully(SocketChannel ch, ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            ch.write(src);
        }
    }

    /** Reads until {@code dst} is full; a closed connection is an error, never a short result. */
    static void readFully(SocketChannel ch, ByteBuffer dst) throws IOException {
        while (dst.hasRemaining()) {
            if (ch.read(dst) < 0) {
                throw new IOException("the server closed the connection with " + dst.remaining() + " bytes outstanding");
            }
        }
    }

    /** Throws unless {@code got} and {@code sent}, both flipped, hold the same bytes. */
    static void verify(ByteBuffer got, ByteBuffer sent) {
        int at = got.mismatch(sent);
        if (at >= 0) {
            throw new IllegalStateException("echo differs from what was sent at byte " + at);
        }
    }
}
