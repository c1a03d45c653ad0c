package dev.oneloop.backend.iouring.netty;

import dev.oneloop.backend.Backend;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Records every callback; optionally reacts to them. Test support for driving a backend by hand. */
class Recorder implements Backend.Handler {

    record Event(String kind, int handle, int other, String detail) {
    }

    final List<Event> events = new ArrayList<>();
    final List<Integer> accepted = new ArrayList<>();
    final Map<Integer, ByteArrayOutputStream> received = new HashMap<>();
    final List<Integer> eofs = new ArrayList<>();
    final List<Integer> written = new ArrayList<>();
    final Map<Integer, IOException> errors = new HashMap<>();
    final List<IOException> acceptErrors = new ArrayList<>();

    @Override
    public void onAccept(int listener, int connection) {
        events.add(new Event("accept", listener, connection, ""));
        accepted.add(connection);
    }

    @Override
    public void onAcceptError(int listener, IOException error) {
        events.add(new Event("acceptError", listener, 0, String.valueOf(error)));
        acceptErrors.add(error);
    }

    @Override
    public void onRead(int connection, ByteBuffer data) {
        events.add(new Event("read", connection, data.remaining(), ""));
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        received.computeIfAbsent(connection, c -> new ByteArrayOutputStream()).writeBytes(bytes);
    }

    @Override
    public void onEof(int connection) {
        events.add(new Event("eof", connection, 0, ""));
        eofs.add(connection);
    }

    @Override
    public void onWritten(int connection) {
        events.add(new Event("written", connection, 0, ""));
        written.add(connection);
    }

    @Override
    public void onError(int connection, IOException error) {
        events.add(new Event("error", connection, 0, String.valueOf(error)));
        errors.put(connection, error);
    }

    byte[] bytesOf(int connection) {
        ByteArrayOutputStream out = received.get(connection);
        return out == null ? new byte[0] : out.toByteArray();
    }

    /** Polls until {@code done} holds; fails after {@code timeout}. */
    static void pollUntil(Backend backend, Backend.Handler handler, Duration timeout, BooleanSupplier done) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("condition not reached within " + timeout);
            }
            backend.poll(Math.min(left, Duration.ofMillis(50).toNanos()), handler);
        }
    }
}
