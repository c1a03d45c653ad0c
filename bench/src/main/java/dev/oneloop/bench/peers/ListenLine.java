package dev.oneloop.bench.peers;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** The ready line every server of the comparison prints: {@code listening on HOST:PORT server=NAME}. */
final class ListenLine {

    private ListenLine() {
    }

    static void print(InetSocketAddress bound, String serverName) {
        String host = bound.getAddress().getHostAddress();
        if (bound.getAddress() instanceof Inet6Address) {
            host = "[" + host + "]";
        }
        System.out.println("listening on " + host + ":" + bound.getPort() + " server=" + serverName);
        System.out.flush();
    }

    static byte[] statusLine(int activeConnections) {
        return ("Server status: " + activeConnections + " active connections\n").getBytes(StandardCharsets.US_ASCII);
    }
}
