package dev.oneloop.backend.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.SplittableRandom;

/**
 * A plain blocking TCP client for tests, independent of every backend. Reads time out (default
 * 20 s) instead of hanging a test.
 */
public final class LoopbackClient implements Peer {

    private static final int DEFAULT_READ_TIMEOUT_MILLIS = 20_000;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private LoopbackClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    public static LoopbackClient connect(InetSocketAddress address) throws IOException {
        return connect(address, 0);
    }

    /**
     * Connects with a fixed receive buffer when {@code receiveBufferSize > 0}: set before connecting it
     * caps the TCP window and turns off autotuning, so a client that does not read stalls its sender
     * after a few hundred KiB instead of tens of MiB.
     */
    public static LoopbackClient connect(InetSocketAddress address, int receiveBufferSize) throws IOException {
        Socket socket = new Socket();
        try {
            if (receiveBufferSize > 0) {
                socket.setReceiveBufferSize(receiveBufferSize);
            }
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(DEFAULT_READ_TIMEOUT_MILLIS);
            socket.connect(address, DEFAULT_READ_TIMEOUT_MILLIS);
            return new LoopbackClient(socket);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    public Socket socket() {
        return socket;
    }

    @Override
    public void send(byte[] bytes) throws IOException {
        out.write(bytes);
    }

    @Override
    public void send(byte[] bytes, int offset, int length) throws IOException {
        out.write(bytes, offset, length);
    }

    /** Sends {@code data} as separate writes of 1 to {@code maxFragment} bytes. */
    @Override
    public void sendInFragments(byte[] data, SplittableRandom random, int maxFragment) throws IOException {
        int offset = 0;
        while (offset < data.length) {
            int length = Math.min(data.length - offset, 1 + random.nextInt(maxFragment));
            out.write(data, offset, length);
            offset += length;
        }
    }

    /** Reads exactly {@code count} bytes; fails on end of stream or after the read timeout. */
    @Override
    public byte[] readExactly(int count) throws IOException {
        byte[] bytes = new byte[count];
        readExactly(bytes);
        return bytes;
    }

    /** Fills {@code bytes} completely; fails on end of stream or after the read timeout. */
    @Override
    public void readFully(byte[] into) throws IOException {
        readExactly(into);
    }

    public void readExactly(byte[] bytes) throws IOException {
        int offset = 0;
        while (offset < bytes.length) {
            int n = in.read(bytes, offset, bytes.length - offset);
            if (n < 0) {
                throw new EOFException("end of stream after " + offset + " of " + bytes.length + " bytes");
            }
            offset += n;
        }
    }

    /** Reads until end of stream; fails after the read timeout. */
    @Override
    public byte[] readToEnd() throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] chunk = new byte[64 * 1024];
        int n;
        while ((n = in.read(chunk)) >= 0) {
            all.write(chunk, 0, n);
        }
        return all.toByteArray();
    }

    /** Reads at most {@code max} bytes, blocking for at least one; -1 at end of stream. */
    @Override
    public int read(byte[] into, int max) throws IOException {
        return in.read(into, 0, Math.min(max, into.length));
    }

    /**
     * Reads and discards until the server closes the connection: end of stream, or a reset when it
     * closed with unread input. Returns {@code false} if the connection is still open after
     * {@code timeout}.
     */
    @Override
    public boolean awaitClosedByPeer(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] discard = new byte[64 * 1024];
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
                if (in.read(discard) < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true; // connection reset
        } finally {
            if (!socket.isClosed()) {
                socket.setSoTimeout(DEFAULT_READ_TIMEOUT_MILLIS);
            }
        }
    }

    @Override
    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    /** Closes with {@code SO_LINGER} 0, so the server sees a reset (RST) instead of FIN. */
    @Override
    public void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
