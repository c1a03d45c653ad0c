package dev.oneloop.server;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Plain blocking loopback clients for the server tests. */
final class Clients {

    static final String STATUS_PREFIX = "Server status: ";

    private Clients() {
    }

    static Socket connect(InetSocketAddress address) throws IOException {
        Socket socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(20_000);
        socket.connect(address, 10_000);
        return socket;
    }

    static byte[] readExactly(InputStream in, int length) throws IOException {
        byte[] data = new byte[length];
        int at = 0;
        while (at < length) {
            int n = in.read(data, at, length - at);
            if (n < 0) {
                throw new EOFException("connection closed after " + at + " of " + length + " bytes");
            }
            at += n;
        }
        return data;
    }

    /** Reads up to and including the next newline; {@code null} at end of stream. */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                return line.toString(StandardCharsets.US_ASCII);
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.US_ASCII);
    }

    /** Reads until end of stream. */
    static byte[] readToEnd(InputStream in) throws IOException {
        return in.readAllBytes();
    }

    /** Sends {@code message} and returns the nanoseconds until it came back, skipping status lines. */
    static long roundTrip(Socket socket, String message) throws IOException {
        long start = System.nanoTime();
        socket.getOutputStream().write((message + "\n").getBytes(StandardCharsets.US_ASCII));
        while (true) {
            String line = readLine(socket.getInputStream());
            if (line == null) {
                throw new EOFException("connection closed during a round trip");
            }
            if (line.equals(message)) {
                return System.nanoTime() - start;
            }
            if (!line.startsWith(STATUS_PREFIX)) {
                throw new IOException("unexpected line '" + line + "' while waiting for '" + message + "'");
            }
        }
    }
}
