package dev.oneloop.bench.peers;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

import dev.oneloop.bench.Durations;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The JVM's other answer to "async without async": one virtual thread per connection doing
 * blocking reads and writes. The broadcast writes each status line from a short-lived virtual
 * thread under the connection's write lock, so a connection that does not read blocks only itself;
 * one that has not taken the previous status line by the next tick skips this one, so at most one
 * line waits per connection. (Closing it instead dropped busy clients whenever 500 connections kept
 * the one pinned CPU saturated past a tick.)
 */
@Command(name = "vthread-echo-server", mixinStandardHelpOptions = true,
        description = "Blocking echo + status broadcast server with a virtual thread per connection.")
public final class VirtualThreadEchoServer implements Callable<Integer> {

    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "address to listen on (default ${DEFAULT-VALUE})")
    private String bind;

    @Option(names = "--port", defaultValue = "9000", description = "port; 0 picks a free one (default ${DEFAULT-VALUE})")
    private int port;

    @Option(names = "--status-interval", defaultValue = "5s", converter = Durations.class,
            description = "interval of the status broadcast, e.g. 250ms, 5s; 0s disables it (default ${DEFAULT-VALUE})")
    private Duration statusInterval;

    @Option(names = "--read-size", defaultValue = "16384", description = "bytes read at once per connection (default ${DEFAULT-VALUE})")
    private int readSize;

    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();

    public static void main(String[] args) {
        int exit = new CommandLine(new VirtualThreadEchoServer()).execute(args);
        if (exit != 0) {
            System.exit(exit);
        }
    }

    @Override
    public Integer call() throws IOException {
        try (ServerSocket listener = new ServerSocket()) {
            listener.setReuseAddress(true);
            listener.bind(new InetSocketAddress(bind, port), 1024);
            if (!statusInterval.isZero()) {
                ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "status-broadcast");
                    t.setDaemon(true);
                    return t;
                });
                long nanos = statusInterval.toNanos();
                timer.scheduleAtFixedRate(this::broadcast, nanos, nanos, TimeUnit.NANOSECONDS);
            }
            ListenLine.print((InetSocketAddress) listener.getLocalSocketAddress(), "vthreads");
            while (true) {
                Socket socket = listener.accept();
                socket.setTcpNoDelay(true);
                Connection c = new Connection(socket);
                connections.add(c);
                Thread.ofVirtual().start(c::echo);
            }
        }
    }

    private void broadcast() {
        byte[] line = ListenLine.statusLine(connections.size());
        for (Connection c : connections) {
            if (!c.broadcastPending.compareAndSet(false, true)) {
                continue;
            }
            Thread.ofVirtual().start(() -> {
                c.write(line, line.length);
                c.broadcastPending.set(false);
            });
        }
    }

    private final class Connection {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private final ReentrantLock writeLock = new ReentrantLock();
        private final AtomicBoolean broadcastPending = new AtomicBoolean();

        Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        void echo() {
            byte[] buf = new byte[readSize];
            try {
                int n;
                // A blocking write returns once every byte was handed to the kernel, so at EOF all is echoed.
                while ((n = in.read(buf)) > 0 && write(buf, n)) {
                    // echoed
                }
            } catch (IOException e) {
                // A reset or a closed socket ends this connection only.
            } finally {
                close();
            }
        }

        boolean write(byte[] bytes, int length) {
            writeLock.lock();
            try {
                out.write(bytes, 0, length);
                return true;
            } catch (IOException e) {
                close();
                return false;
            } finally {
                writeLock.unlock();
            }
        }

        void close() {
            connections.remove(this);
            try {
                socket.close();
            } catch (IOException e) {
                // Closing twice, or a socket already reset: nothing more to release.
            }
        }
    }
}
