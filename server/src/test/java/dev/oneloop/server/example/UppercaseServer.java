package dev.oneloop.server.example;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.Backends;
import dev.oneloop.backend.Handles;
import dev.oneloop.server.Loop;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;

/** Sends back every byte it receives, upper-cased; prints how many clients are connected every 10 s. */
public final class UppercaseServer implements Backend.Handler {

    public static void main(String[] args) throws Exception {
        int maxConnections = 1024;
        // -Dbackend=nio|epoll|iouring|auto picks the backend; the server code is the same on each.
        try (Backend backend = Backends.open(new BackendConfig(maxConnections + 2, 16 << 10))) {
            Loop loop = new Loop(backend, System::nanoTime);
            UppercaseServer server = new UppercaseServer(loop, maxConnections);
            System.out.println("listening on " + server.listen(new InetSocketAddress("127.0.0.1", 9000)));
            long tenSeconds = Duration.ofSeconds(10).toNanos();
            loop.timers().scheduleAtFixedRate(loop.now() + tenSeconds, tenSeconds,
                    now -> System.out.println(server.connections + " connections"));
            loop.run(server); // until loop.requestStop(): wait for I/O or the next timer, handle it, repeat
        }
    }

    private final Loop loop;
    private final Backend backend;
    private final int maxConnections;
    /** Per connection slot: the buffer its write sends from, owned by the backend until onWritten. */
    private final ByteBuffer[] outbound;
    private int listener;
    private int connections;

    public UppercaseServer(Loop loop, int maxConnections) {
        this.loop = loop;
        this.backend = loop.backend();
        this.maxConnections = maxConnections;
        this.outbound = new ByteBuffer[maxConnections + 2];
    }

    public InetSocketAddress listen(InetSocketAddress address) throws IOException {
        listener = backend.listen(address, 128);
        backend.accept(listener);
        return backend.localAddress(listener);
    }

    @Override
    public void onAccept(int listener, int connection) {
        if (connections == maxConnections) {
            backend.close(connection);
            return;
        }
        int slot = Handles.slot(connection);
        if (outbound[slot] == null) {
            outbound[slot] = ByteBuffer.allocateDirect(16 << 10); // as large as a read: one read, one write
        }
        connections++;
        backend.read(connection);
    }

    @Override
    public void onAcceptError(int listener, IOException error) {
        // Out of descriptors (EMFILE): try again in 100 ms instead of spinning.
        loop.timers().schedule(loop.now() + Duration.ofMillis(100).toNanos(), now -> backend.accept(listener));
    }

    @Override
    public void onRead(int connection, ByteBuffer data) {
        ByteBuffer out = outbound[Handles.slot(connection)].clear();
        while (data.hasRemaining()) { // data is only valid during this call: copy what we keep
            byte b = data.get();
            out.put(b >= 'a' && b <= 'z' ? (byte) (b - 32) : b);
        }
        backend.write(connection, out.flip()); // no read is armed until it is written: backpressure
    }

    @Override
    public void onWritten(int connection) {
        backend.read(connection);
    }

    @Override
    public void onEof(int connection) {
        close(connection); // a read was armed, so no write was in flight: everything has been sent
    }

    @Override
    public void onError(int connection, IOException error) {
        close(connection);
    }

    private void close(int connection) {
        backend.close(connection);
        connections--;
    }
}
