package dev.oneloop.bench.load;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * An echo + status broadcast server for the fan-out tests that misbehaves on request towards one
 * connection (the fourth accepted) in one tick: the fifth after all {@code expected} connections
 * are open, inside the client's window. Every broadcast writes to the first half of the
 * connections, pauses {@code spreadMillis}, then writes to the rest, so the spread is known.
 */
final class ScriptedBroadcastServer implements AutoCloseable {

    enum Mode { CORRECT, MISSES_A_TICK, DUPLICATES_A_LINE, PARTIAL_LINE }

    static final int VICTIM = 3;
    private static final int MISBEHAVING_TICK = 5;

    private final ServerSocket listener;
    private final Mode mode;
    private final int expected;
    private final long intervalMillis;
    private final long spreadMillis;
    private final List<OutputStream> outputs = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Thread broadcaster;

    ScriptedBroadcastServer(Mode mode, int expected, long intervalMillis, long spreadMillis) throws IOException {
        this.mode = mode;
        this.expected = expected;
        this.intervalMillis = intervalMillis;
        this.spreadMillis = spreadMillis;
        this.listener = new ServerSocket(0, 1024, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("scripted-accept").start(this::acceptLoop);
        broadcaster = Thread.ofPlatform().daemon().name("scripted-broadcast").start(this::broadcastLoop);
    }

    InetSocketAddress address() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    private void acceptLoop() {
        try {
            while (true) {
                Socket s = listener.accept();
                sockets.add(s);
                outputs.add(s.getOutputStream());
                Thread.ofVirtual().start(() -> echo(s));
            }
        } catch (IOException e) {
            // Closed by the test.
        }
    }

    private static void echo(Socket s) {
        try {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            // The client closed or reset.
        }
    }

    private void broadcastLoop() {
        try {
            int tick = 0; // counted once every expected connection is open
            long next = System.nanoTime();
            while (!listener.isClosed()) {
                // At a fixed rate, as the servers' timers do: a broadcast's duration does not delay the next.
                next += TimeUnit.MILLISECONDS.toNanos(intervalMillis);
                TimeUnit.NANOSECONDS.sleep(next - System.nanoTime());
                List<OutputStream> now = List.copyOf(outputs);
                if (now.size() >= expected) {
                    tick++;
                }
                byte[] line = ("Server status: " + now.size() + " active connections\n").getBytes(StandardCharsets.US_ASCII);
                for (int i = 0; i < now.size(); i++) {
                    if (i == now.size() / 2 && spreadMillis > 0) {
                        TimeUnit.MILLISECONDS.sleep(spreadMillis);
                    }
                    send(now.get(i), line, i == VICTIM && tick == MISBEHAVING_TICK ? mode : Mode.CORRECT);
                }
            }
        } catch (InterruptedException e) {
            // Closed by the test.
        }
    }

    private static void send(OutputStream out, byte[] line, Mode mode) {
        try {
            switch (mode) {
                case CORRECT -> out.write(line);
                case MISSES_A_TICK -> { }
                case DUPLICATES_A_LINE -> {
                    out.write(line);
                    out.write(line);
                }
                // The next tick's whole line follows the cut one.
                case PARTIAL_LINE -> out.write(line, 0, 17);
            }
        } catch (IOException e) {
            // The client went away; the test reads the client's view.
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        broadcaster.interrupt();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
