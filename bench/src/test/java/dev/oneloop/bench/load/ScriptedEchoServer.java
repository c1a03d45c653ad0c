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

/**
 * A blocking echo server for the load generator's tests that misbehaves on request: it splits every
 * echo around an inserted line (a status line, or something else), or flips one byte.
 */
final class ScriptedEchoServer implements AutoCloseable {

    enum Mode { STATUS_LINES_INSIDE_ECHOES, MALFORMED_STATUS_LINE, CORRUPT_ONE_BYTE }

    private final ServerSocket listener;
    private final Mode mode;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    ScriptedEchoServer(Mode mode) throws IOException {
        this.mode = mode;
        this.listener = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("scripted-accept").start(this::acceptLoop);
    }

    InetSocketAddress address() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    private void acceptLoop() {
        try {
            while (true) {
                Socket s = listener.accept();
                s.setTcpNoDelay(true);
                sockets.add(s);
                Thread.ofPlatform().daemon().name("scripted-conn").start(() -> echo(s));
            }
        } catch (IOException e) {
            // Closed by the test.
        }
    }

    private void echo(Socket s) {
        byte[] inserted = (mode == Mode.MALFORMED_STATUS_LINE ? "Server status: many active connections\n"
                : "Server status: 7 active connections\n").getBytes(StandardCharsets.US_ASCII);
        long total = 0;
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) > 0) {
                if (mode == Mode.CORRUPT_ONE_BYTE && total < 5000 && total + n >= 5000) {
                    int at = (int) (4999 - total);
                    buf[at] = buf[at] == (byte) 'a' ? (byte) 'b' : (byte) 'a';
                }
                total += n;
                int half = n / 2;
                out.write(buf, 0, half);
                if (mode != Mode.CORRUPT_ONE_BYTE) {
                    out.write(inserted);
                }
                out.write(buf, half, n - half);
            }
        } catch (IOException e) {
            // The client closed or reset: this connection is over.
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
