package dev.oneloop.examples.resp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** A blocking loopback client that speaks raw bytes, with timeouts on every read. */
final class RespClient implements AutoCloseable {

    static final int TIMEOUT_MILLIS = 5_000;

    final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    RespClient(InetSocketAddress address) throws IOException {
        socket = new Socket();
        socket.connect(address, TIMEOUT_MILLIS);
        socket.setSoTimeout(TIMEOUT_MILLIS);
        socket.setTcpNoDelay(true);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    void send(byte[] request) throws IOException {
        out.write(request);
        out.flush();
    }

    void send(String request) throws IOException {
        send(bytes(request));
    }

    /** Reads exactly {@code n} bytes (fails on EOF or timeout). */
    byte[] read(int n) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length < n) {
            throw new IOException("EOF after " + b.length + " of " + n + " bytes: " + text(b));
        }
        return b;
    }

    String read(String expectedShape) throws IOException {
        return text(read(expectedShape.length()));
    }

    /** Sends {@code request} and returns exactly as many reply bytes as {@code expected} has. */
    String roundTrip(String request, String expected) throws IOException {
        send(request);
        return read(expected);
    }

    /** Sends {@code request} and returns the one-line reply it gets (a simple string, error or integer), CRLF included. */
    String line(String request) throws IOException {
        send(request);
        StringBuilder line = new StringBuilder();
        while (line.length() < 2 || line.charAt(line.length() - 2) != '\r' || line.charAt(line.length() - 1) != '\n') {
            int b = in.read();
            if (b < 0) {
                throw new IOException("EOF after " + line);
            }
            line.append((char) b);
        }
        return line.toString();
    }

    /** Reads until the server closes the connection; fails if it does not within the timeout. */
    byte[] readToEof() throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buffer = new byte[65536];
        long deadline = System.nanoTime() + TIMEOUT_MILLIS * 1_000_000L;
        while (System.nanoTime() < deadline) {
            int n;
            try {
                n = in.read(buffer);
            } catch (SocketTimeoutException e) {
                break;
            }
            if (n < 0) {
                return all.toByteArray();
            }
            all.write(buffer, 0, n);
        }
        throw new IOException("the server did not close the connection within " + TIMEOUT_MILLIS + " ms; got " + all.size() + " bytes");
    }

    void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    void reset() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
