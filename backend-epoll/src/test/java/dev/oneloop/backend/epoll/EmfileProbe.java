package dev.oneloop.backend.epoll;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.Backends;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Child-process main for EpollBackendTest, run under a small {@code ulimit -n}: fills its descriptor
 * table but for {@code room} entries, lets a parent connect more clients than fit, and reports on
 * stdout how acceptance behaves at EMFILE and after re-arming. One line per step:
 * {@code port N}, {@code ready}, {@code accepted N}, {@code accept-error MESSAGE},
 * {@code accepted-while-disarmed N}, {@code accepted-after-rearm N}.
 */
final class EmfileProbe implements Backend.Handler {

    private final List<Integer> connections = new ArrayList<>();
    private IOException acceptError;
    private int acceptErrors;

    private EmfileProbe() {
    }

    public static void main(String[] args) throws Exception {
        int room = Integer.parseInt(args[0]);
        int expectedClients = Integer.parseInt(args[1]);
        EmfileProbe probe = new EmfileProbe();
        try (Backend backend = Backends.open(EpollBackend.NAME, new BackendConfig(64, 1024))) {
            int listener = backend.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
            backend.poll(Backend.NO_WAIT, probe);
            System.out.println("port " + backend.localAddress(listener).getPort());

            Deque<InputStream> fillers = new ArrayDeque<>();
            try {
                while (true) {
                    fillers.push(new FileInputStream("/dev/null"));
                }
            } catch (IOException expected) {
                // EMFILE: the table is full
            }
            for (int i = 0; i < room; i++) {
                fillers.pop().close();
            }
            System.out.println("ready");

            backend.accept(listener);
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (probe.acceptError == null && System.nanoTime() < deadline) {
                backend.poll(100_000_000L, probe);
            }
            System.out.println("accepted " + probe.connections.size());
            System.out.println("accept-error " + probe.acceptError);

            // Disarmed: the clients that did not fit wait in the backlog and no callback comes.
            long quiet = System.nanoTime() + 300_000_000L;
            while (System.nanoTime() < quiet) {
                backend.poll(50_000_000L, probe);
            }
            System.out.println("accepted-while-disarmed " + (probe.connections.size() - room) + " errors " + probe.acceptErrors);

            // Free the descriptors and re-arm: no client connects any more, so no new edge will come.
            for (int connection : probe.connections) {
                backend.close(connection);
            }
            probe.connections.clear();
            backend.accept(listener);
            deadline = System.nanoTime() + 10_000_000_000L;
            while (probe.connections.size() < expectedClients - room && System.nanoTime() < deadline) {
                backend.poll(100_000_000L, probe);
            }
            System.out.println("accepted-after-rearm " + probe.connections.size());
            for (InputStream filler : fillers) {
                filler.close();
            }
        }
    }

    @Override
    public void onAccept(int listener, int connection) {
        connections.add(connection);
    }

    @Override
    public void onAcceptError(int listener, IOException error) {
        acceptErrors++;
        acceptError = error;
    }

    @Override
    public void onRead(int connection, ByteBuffer data) {
    }

    @Override
    public void onEof(int connection) {
    }

    @Override
    public void onWritten(int connection) {
    }

    @Override
    public void onError(int connection, IOException error) {
    }
}
