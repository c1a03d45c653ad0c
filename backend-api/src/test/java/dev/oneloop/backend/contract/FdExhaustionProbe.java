package dev.oneloop.backend.contract;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.BackendException;
import dev.oneloop.backend.Backends;
import dev.oneloop.backend.testing.HandlerAdapter;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Child-JVM side of {@link FdExhaustionContract}: opens the backend named by its first argument,
 * uses up every file descriptor of its process but {@code room} (its second argument), so that
 * acceptance fails with EMFILE once {@code room} connections are accepted, and reports what the
 * backend did. Speaks with the parent over stdin/stdout, one line at a time:
 * {@code PORT p}, then (after the parent connected its clients and sent a line)
 * {@code ACCEPTED n}, {@code ACCEPT_ERROR count kind errno message},
 * {@code WHILE_DISARMED polls=p acceptErrors=e accepted=a}, {@code ACCEPTED_AFTER_REARM n}.
 */
public final class FdExhaustionProbe {

    private FdExhaustionProbe() {
    }

    public static void main(String[] args) throws Exception {
        String backendName = args[0];
        int room = Integer.parseInt(args[1]);
        int clients = Integer.parseInt(args[2]);
        BufferedReader parent = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        Events events = new Events();
        // Loaded now: once the descriptors are used up, a class file can no longer be opened.
        String warmUp = BackendException.ofErrno("accept", 24).kind() + " "
                + BackendException.of("accept", new IOException("Too many open files")).errno();
        try (Backend backend = Backends.open(backendName, new BackendConfig(64, 1024))) {
            int listener = backend.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
            backend.accept(listener);
            backend.poll(Backend.NO_WAIT, events);
            int port = backend.localAddress(listener).getPort();
            List<FileChannel> hog = exhaustFileDescriptors();
            for (int i = 0; i < room; i++) {
                hog.remove(hog.size() - 1).close();
            }
            System.out.println("PORT " + port + " hogging " + hog.size() + " (" + warmUp + ")");
            parent.readLine(); // the parent has connected its clients

            pollFor(backend, events, 5000, () -> events.acceptErrors > 0);
            System.out.println("ACCEPTED " + events.accepted.size());
            IOException error = events.lastAcceptError;
            System.out.println("ACCEPT_ERROR " + events.acceptErrors + " " + BackendException.kindOf(error) + " "
                    + (error instanceof BackendException typed ? typed.errno() : -1) + " " + error);
            long polls = pollFor(backend, events, 300, () -> false);
            System.out.println("WHILE_DISARMED polls=" + polls + " acceptErrors=" + events.acceptErrors
                    + " accepted=" + (events.accepted.size() - room));

            // Free descriptors and re-arm: no client connects any more, so an edge-triggered backend
            // gets no new edge and must still accept what waits in the backlog.
            for (int connection : events.accepted) {
                backend.close(connection);
            }
            events.accepted.clear();
            for (int i = 0; i < 8; i++) {
                hog.remove(hog.size() - 1).close();
            }
            backend.accept(listener);
            pollFor(backend, events, 5000, () -> events.accepted.size() >= clients - room);
            System.out.println("ACCEPTED_AFTER_REARM " + events.accepted.size());
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

    private static long pollFor(Backend backend, Backend.Handler handler, long millis, BooleanSupplier done) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        long polls = 0;
        while (!done.getAsBoolean() && deadline - System.nanoTime() > 0) {
            backend.poll(Math.max(1, deadline - System.nanoTime()), handler);
            polls++;
        }
        return polls;
    }

    /** Only acceptance is armed: any other callback fails the probe. */
    private static final class Events extends HandlerAdapter {
        final List<Integer> accepted = new ArrayList<>();
        int acceptErrors;
        IOException lastAcceptError;

        @Override
        public void onAccept(int listener, int connection) {
            accepted.add(connection);
        }

        @Override
        public void onAcceptError(int listener, IOException error) {
            acceptErrors++;
            lastAcceptError = error;
        }
    }
}
