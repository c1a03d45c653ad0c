package dev.oneloop.sim;

import dev.oneloop.backend.testing.Peer;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * The contract suite's client on a real-time {@link SimNetwork}: blocking calls that wait on the
 * network's monitor, which {@link SimBackend#poll} notifies whenever it moves bytes.
 */
final class SimPeer implements Peer {

    private static final long TIMEOUT_NANOS = Duration.ofSeconds(20).toNanos();

    private final SimNetwork net;
    private final SimConnection c;

    private SimPeer(SimNetwork net, SimConnection c) {
        this.net = net;
        this.c = c;
    }

    static Peer.Connector connector(SimNetwork net) {
        return (address, receiveBufferSize) -> connect(net, address, receiveBufferSize);
    }

    private static Peer connect(SimNetwork net, InetSocketAddress address, int receiveBufferSize) throws IOException {
        return new SimPeer(net, net.connect(address, receiveBufferSize, null));
    }

    @Override
    public void send(byte[] bytes, int offset, int length) throws IOException {
        synchronized (net) {
            long deadline = System.nanoTime() + TIMEOUT_NANOS;
            while (length > 0) {
                int n = net.send(c, bytes, offset, length);
                offset += n;
                length -= n;
                if (length > 0) {
                    await(deadline, "room to send");
                }
            }
        }
    }

    @Override
    public byte[] readExactly(int count) throws IOException {
        byte[] bytes = new byte[count];
        int offset = 0;
        while (offset < count) {
            int n = read(bytes, offset, count - offset);
            if (n < 0) {
                throw new EOFException("end of stream after " + offset + " of " + count + " bytes");
            }
            offset += n;
        }
        return bytes;
    }

    @Override
    public byte[] readToEnd() throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] chunk = new byte[64 * 1024];
        int n;
        while ((n = read(chunk, 0, chunk.length)) >= 0) {
            all.write(chunk, 0, n);
        }
        return all.toByteArray();
    }

    @Override
    public int read(byte[] into, int max) throws IOException {
        return read(into, 0, Math.min(max, into.length));
    }

    private int read(byte[] into, int offset, int max) throws IOException {
        synchronized (net) {
            long deadline = System.nanoTime() + TIMEOUT_NANOS;
            while (true) {
                int n = net.receive(c, into, offset, max);
                if (n != 0) {
                    return n;
                }
                await(deadline, "bytes to read");
            }
        }
    }

    @Override
    public boolean awaitClosedByPeer(Duration timeout) throws IOException {
        synchronized (net) {
            long deadline = System.nanoTime() + timeout.toNanos();
            byte[] discard = new byte[64 * 1024];
            while (true) {
                if (net.receive(c, discard, 0, discard.length) < 0) {
                    return true;
                }
                if (net.receivable(c) > 0) {
                    continue;
                }
                try {
                    await(deadline, "the server's close");
                } catch (SocketTimeoutException e) {
                    return false;
                }
            }
        }
    }

    @Override
    public void shutdownOutput() {
        net.shutdownOutput(c);
    }

    @Override
    public void reset() {
        net.reset(c);
    }

    @Override
    public void close() {
        net.close(c);
    }

    /** Waits for the network to change; the caller holds its monitor. */
    private void await(long deadline, String what) throws IOException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException("no " + what + " on " + c + " in time");
        }
        try {
            net.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException();
        }
    }
}
