package dev.oneloop.backend.testing;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.Handles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Records every callback, in delivery order, for a test thread to wait on and inspect. It can react
 * inside callbacks as an application would: re-arm reads, close on errors, or run a test's
 * {@link Reaction}. It allocates per callback, so it is not for allocation tests.
 */
public final class RecordingHandler implements Backend.Handler {

    /** One callback, or a {@link Closed} marker a test records when it closes a handle. */
    public sealed interface Event permits Accepted, AcceptFailed, Read, Eof, Written, Failed, Closed {
        /** The connection (or listener) the event is about. */
        int handle();
    }

    public record Accepted(int listener, int connection) implements Event {
        @Override
        public int handle() {
            return connection;
        }
    }

    public record AcceptFailed(int listener, IOException error) implements Event {
        @Override
        public int handle() {
            return listener;
        }
    }

    public record Read(int connection, byte[] bytes) implements Event {
        @Override
        public int handle() {
            return connection;
        }

        @Override
        public String toString() {
            return "Read[connection=" + Handles.toString(connection) + ", " + bytes.length + " bytes]";
        }
    }

    public record Eof(int connection) implements Event {
        @Override
        public int handle() {
            return connection;
        }
    }

    public record Written(int connection) implements Event {
        @Override
        public int handle() {
            return connection;
        }
    }

    public record Failed(int connection, IOException error) implements Event {
        @Override
        public int handle() {
            return connection;
        }
    }

    /** Not a callback: the test (or this handler) closed {@code handle} at this point. */
    public record Closed(int handle) implements Event {
    }

    /** Runs on the loop thread inside the callback, after the event is recorded. */
    @FunctionalInterface
    public interface Reaction {
        void on(Backend backend, Event event) throws Exception;
    }

    private static final int TAIL_SHOWN_ON_FAILURE = 30;

    private final Backend backend;
    private final List<Event> log = new ArrayList<>();
    /** Per listener, how many of its accepted connections {@link #awaitAccept} has returned. */
    private final java.util.Map<Integer, Integer> acceptsTaken = new java.util.HashMap<>();
    private volatile boolean rearmReads;
    private volatile boolean closeOnError;
    private volatile Reaction reaction = (b, e) -> { };

    public RecordingHandler(Backend backend) {
        this.backend = backend;
    }

    /** Re-arms the receive from inside every {@code onRead}, as a streaming application does. */
    public RecordingHandler rearmReads(boolean rearm) {
        rearmReads = rearm;
        return this;
    }

    /** Closes a connection from inside its {@code onError}, as the contract advises. */
    public RecordingHandler closeOnError(boolean close) {
        closeOnError = close;
        return this;
    }

    public RecordingHandler reaction(Reaction newReaction) {
        reaction = newReaction;
        return this;
    }

    @Override
    public void onAccept(int listener, int connection) {
        record(new Accepted(listener, connection));
    }

    @Override
    public void onAcceptError(int listener, IOException error) {
        record(new AcceptFailed(listener, error));
    }

    @Override
    public void onRead(int connection, ByteBuffer data) {
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        record(new Read(connection, bytes));
        if (rearmReads) {
            backend.read(connection);
        }
    }

    @Override
    public void onEof(int connection) {
        record(new Eof(connection));
    }

    @Override
    public void onWritten(int connection) {
        record(new Written(connection));
    }

    @Override
    public void onError(int connection, IOException error) {
        record(new Failed(connection, error));
        if (closeOnError) {
            backend.close(connection);
            markClosed(connection);
        }
    }

    /** Records that {@code handle} was just closed; call it on the loop thread right after {@code close}. */
    public void markClosed(int handle) {
        append(new Closed(handle));
    }

    private void record(Event event) {
        append(event);
        try {
            reaction.on(backend, event);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("reaction to " + event + " failed", e);
        }
    }

    private synchronized void append(Event event) {
        log.add(event);
        notifyAll();
    }

    /** A snapshot of every event so far. */
    public synchronized List<Event> events() {
        return List.copyOf(log);
    }

    public synchronized long count(Class<? extends Event> type, int handle) {
        return log.stream().filter(e -> type.isInstance(e) && e.handle() == handle).count();
    }

    public synchronized long count(Class<? extends Event> type) {
        return log.stream().filter(type::isInstance).count();
    }

    /** The events for {@code handle} recorded after its {@link Closed} marker (none, if the backend keeps the contract). */
    public synchronized List<Event> eventsAfterClose(int handle) {
        List<Event> after = new ArrayList<>();
        boolean closed = false;
        for (Event event : log) {
            if (event instanceof Closed && event.handle() == handle) {
                closed = true;
            } else if (closed && event.handle() == handle) {
                after.add(event);
            }
        }
        return after;
    }

    /** Every byte read on {@code connection} so far, in order. */
    public synchronized byte[] bytesRead(int connection) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (Event event : log) {
            if (event instanceof Read read && read.connection() == connection) {
                bytes.writeBytes(read.bytes());
            }
        }
        return bytes.toByteArray();
    }

    /** Waits for the first event of {@code type} about {@code handle}. */
    public <E extends Event> E awaitFirst(Class<E> type, int handle, Duration timeout) throws InterruptedException {
        return type.cast(await(e -> type.isInstance(e) && e.handle() == handle,
                type.getSimpleName() + " for " + Handles.toString(handle), timeout));
    }

    /** Waits for the next connection accepted on {@code listener} that no earlier call returned. */
    public int awaitAccept(int listener, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (true) {
                int taken = acceptsTaken.getOrDefault(listener, 0);
                int seen = 0;
                for (Event event : log) {
                    if (event instanceof Accepted accepted && accepted.listener() == listener && seen++ == taken) {
                        acceptsTaken.put(listener, taken + 1);
                        return accepted.connection();
                    }
                }
                waitUntil(deadline, "accept #" + (taken + 1) + " on listener " + Handles.toString(listener), timeout);
            }
        }
    }

    /** Waits until {@code connection} has read at least {@code count} bytes; returns all read so far. */
    public byte[] awaitBytes(int connection, int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (true) {
                byte[] bytes = bytesRead(connection);
                if (bytes.length >= count) {
                    return bytes;
                }
                waitUntil(deadline, count + " bytes read on " + Handles.toString(connection) + " (have " + bytes.length + ")", timeout);
            }
        }
    }

    /** Waits until {@code count} events match {@code condition}. */
    public void awaitCount(Predicate<Event> condition, long count, String description, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (log.stream().filter(condition).count() < count) {
                waitUntil(deadline, count + " x " + description, timeout);
            }
        }
    }

    /** Waits for the first event matching {@code condition}. */
    public synchronized Event await(Predicate<Event> condition, String description, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (Event event : log) {
                if (condition.test(event)) {
                    return event;
                }
            }
            waitUntil(deadline, description, timeout);
        }
    }

    private void waitUntil(long deadline, String awaited, Duration timeout) throws InterruptedException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new AssertionError("no " + awaited + " within " + timeout + "; last events: " + tail());
        }
        wait(Math.max(1, left / 1_000_000));
    }

    private String tail() {
        return log.subList(Math.max(0, log.size() - TAIL_SHOWN_ON_FAILURE), log.size()).stream()
                .map(Object::toString).collect(Collectors.joining(", ", "[", "]"));
    }
}
