package dev.oneloop.backend.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The kernel's receive queues of TCP sockets, from {@code /proc/net/tcp} and {@code tcp6} (a
 * dual-stack socket, as NIO and Netty create, is listed there; Linux, same network namespace): lets
 * a test know that a server in another process has read everything a client sent, which on a busy
 * machine can take longer than any fixed sleep.
 */
public final class ReceiveQueues {

    private ReceiveQueues() {
    }

    /**
     * Bytes not yet read from the socket with local port {@code localPort} connected to remote port
     * {@code remotePort}, or -1 if there is no such socket.
     */
    public static long unread(int localPort, int remotePort) throws IOException {
        String local = String.format(":%04X ", localPort);
        String remote = String.format(":%04X ", remotePort);
        List<String> lines = new ArrayList<>(Files.readAllLines(Path.of("/proc/net/tcp")));
        lines.addAll(Files.readAllLines(Path.of("/proc/net/tcp6")));
        for (String line : lines) {
            // "sl local_address rem_address st tx_queue:rx_queue ...", addresses and queues in hex.
            String[] f = line.trim().split("\\s+");
            if (f.length > 4 && (f[1] + " ").endsWith(local) && (f[2] + " ").endsWith(remote)) {
                return Long.parseLong(f[4].substring(f[4].indexOf(':') + 1), 16);
            }
        }
        return -1;
    }

    /**
     * Waits until the server's end of the connection from {@code clientPort} to {@code serverPort}
     * exists and has no unread bytes left; fails after {@code timeout}.
     */
    public static void awaitReadByServer(int serverPort, int clientPort, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long unread;
        while ((unread = unread(serverPort, clientPort)) != 0) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("the server has not read what the client on port " + clientPort + " sent within "
                        + timeout + (unread < 0 ? ": no such connection" : ": " + unread + " bytes unread"));
            }
            Thread.sleep(20);
        }
    }
}
