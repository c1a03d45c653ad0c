package dev.oneloop.backend.testing;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.Backends;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Child-JVM side of {@link AcceptUnderFdExhaustionTest}: opens the backend named by its argument,
 * uses up every file descriptor of its process, so that acceptance fails with EMFILE, and reports
 * what the backend did.
 * Speaks with the parent over stdin/stdout, one line at a time.
 */
public final class AcceptUnderFdExhaustionProbe {

    private AcceptUnderFdExhaustionProbe() {
    }

    public static void main(String[] args) throws Exception {
        BufferedReader parent = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        Events events = new Events();
        try (Backend backend = Backends.open(args[0], new BackendConfig(16, 1024))) {
            int listener = backend.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
            backend.accept(listener);
            backend.poll(Backend.NO_WAIT, events);
            List<FileChannel> hog = exhaustFileDescriptors();
            System.out.println("PORT " + backend.localAddress(listener).getPort() + " hogging " + hog.size());
            parent.readLine(); // the parent has connected a client

            pollFor(backend, events, 5000, () -> events.acceptErrors > 0);
            System.out.println("ACCEPT_ERROR " + events.acceptErrors + " " + events.lastAcceptError);
            long polls = pollFor(backend, events, 300, () -> false);
            System.out.println("WHILE_DISARMED polls=" + polls + " acceptErrors=" + events.acceptErrors + " accepted=" + events.accepted);

            for (int i = 0; i < 8; i++) {
                hog.remove(hog.size() - 1).close();
            }
            backend.accept(listener);
            pollFor(backend, events, 5000, () -> events.accepted > 0);
            System.out.println("ACCEPTED " + events.accepted);
            for (FileChannel channel : hog) {
                channel.close();
            }
        }
    }

    private static List<FileChannel> exhaustFileDescriptors() {
        List<FileChannel> hog = new ArrayList<>();
        Path devNull = Path.of("/dev/null");
        try {
            while (true) {
                hog.add(FileChannel.open(devNull));
            }
        } catch (IOException expected) {
            return hog; // EMFILE
        }
    }

    private static long pollFor(Backend backend, Backend.Handler handler, long millis, java.util.function.BooleanSupplier done)
            throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        long polls = 0;
        while (!done.getAsBoolean() && deadline - System.nanoTime() > 0) {
            backend.poll(Math.max(1, deadline - System.nanoTime()), handler);
            polls++;
        }
        return polls;
    }

    private static final class Events implements Backend.Handler {
        int accepted;
        int acceptErrors;
        IOException lastAcceptError;

        @Override
        public void onAccept(int listener, int connection) {
            accepted++;
        }

        @Override
        public void onAcceptError(int listener, IOException error) {
            acceptErrors++;
            lastAcceptError = error;
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
}
