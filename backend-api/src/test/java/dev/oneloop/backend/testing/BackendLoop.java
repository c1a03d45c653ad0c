package dev.oneloop.backend.testing;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.BackendProvider;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * A dedicated loop thread for tests: it opens a backend (which is then confined to it) and polls it
 * with {@link Backend#WAIT_FOREVER} until closed. Tests hand it work with {@link #call} and
 * {@link #run}, which wake the loop, run the work between two polls and return its result or
 * rethrow its exception on the calling thread.
 *
 * <p>Every callback passes through a checker that records contract violations without allocating:
 * a callback outside {@code poll} (from the call that started the operation), a callback nested in
 * another one (delivered from inside a backend call the handler made), a callback on another thread,
 * an empty or writable {@code onRead} view, a negative handle, a {@code poll} result that differs
 * from the callbacks delivered, and any exception the handler threw. {@link #close()} and
 * {@link #assertNoViolations()} fail the test if any were seen.
 */
public final class BackendLoop implements AutoCloseable {

    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(20);

    /** Creates the handler on the loop thread, once the backend is open. */
    @FunctionalInterface
    public interface HandlerFactory {
        Backend.Handler create(Backend backend) throws Exception;
    }

    @FunctionalInterface
    public interface Call<T> {
        T apply(Backend backend) throws Exception;
    }

    @FunctionalInterface
    public interface Action {
        void accept(Backend backend) throws Exception;
    }

    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private final CheckingHandler checker = new CheckingHandler();
    private volatile Backend backend;
    private volatile boolean stopping;
    private volatile long polls;
    private volatile Throwable loopFailure;
    private boolean closed;

    private BackendLoop(String threadName, BackendProvider provider, BackendConfig config, HandlerFactory handlers,
            CompletableFuture<Void> opened) {
        thread = new Thread(() -> run(provider, config, handlers, opened), threadName);
        thread.setDaemon(true);
    }

    /**
     * Starts a loop thread that opens {@code provider} with {@code config}.
     *
     * @throws Exception whatever opening the backend or creating the handler threw, unwrapped
     */
    public static BackendLoop start(BackendProvider provider, BackendConfig config, HandlerFactory handlers) throws Exception {
        CompletableFuture<Void> opened = new CompletableFuture<>();
        BackendLoop loop = new BackendLoop("oneloop-test-" + provider.name(), provider, config, handlers, opened);
        loop.thread.start();
        try {
            opened.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            loop.thread.join(CALL_TIMEOUT.toMillis());
            throw unwrap(e);
        } catch (TimeoutException e) {
            throw new AssertionError("backend " + provider.name() + " did not open within " + CALL_TIMEOUT
                    + "; loop thread at:" + stackOf(loop.thread), e);
        }
        return loop;
    }

    public Thread thread() {
        return thread;
    }

    /** How many times {@code poll} has returned; a loop that spins while idle shows here. */
    public long polls() {
        return polls;
    }

    /** Runs {@code call} on the loop thread between two polls and returns its result. */
    public <T> T call(Call<T> call) throws Exception {
        if (Thread.currentThread() == thread) {
            return call.apply(backend);
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        tasks.add(() -> {
            try {
                result.complete(call.apply(backend));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        if (!thread.isAlive()) {
            throw new IllegalStateException("the loop thread has stopped", loopFailure);
        }
        backend.wakeup();
        try {
            return result.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw unwrap(e);
        } catch (TimeoutException e) {
            throw new AssertionError("the loop thread did not run a task within " + CALL_TIMEOUT
                    + " (is poll ignoring wakeup()?); loop thread at:" + stackOf(thread), e);
        }
    }

    /** Runs {@code action} on the loop thread between two polls; rethrows what it throws. */
    public void run(Action action) throws Exception {
        call(b -> {
            action.accept(b);
            return null;
        });
    }

    /**
     * Blocks the loop thread until the returned pause is closed, so that events pile up and reach
     * the backend's next poll together.
     */
    public Pause pause() throws Exception {
        CountDownLatch paused = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        tasks.add(() -> {
            paused.countDown();
            try {
                if (!resume.await(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    violations.add("a test paused the loop and never resumed it");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        backend.wakeup();
        if (!paused.await(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the loop thread did not pause; loop thread at:" + stackOf(thread));
        }
        return resume::countDown;
    }

    /** Resumes a {@linkplain #pause() paused} loop. */
    @FunctionalInterface
    public interface Pause extends AutoCloseable {
        @Override
        void close();
    }

    /** Fails if the checker saw a contract violation or the loop itself failed. */
    public void assertNoViolations() {
        Throwable failure = loopFailure;
        if (!violations.isEmpty() || failure != null) {
            AssertionError error = new AssertionError("backend contract violated on the loop thread:\n  "
                    + violations.stream().collect(Collectors.joining("\n  "))
                    + (failure == null ? "" : "\n  the loop stopped: " + failure));
            if (failure != null) {
                error.initCause(failure);
            }
            throw error;
        }
    }

    /** Stops polling, closes the backend on the loop thread and checks for violations. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        stopping = true;
        backend.wakeup();
        try {
            thread.join(CALL_TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while stopping the loop thread", e);
        }
        if (thread.isAlive()) {
            throw new AssertionError("the loop thread did not stop within " + CALL_TIMEOUT + "; it is at:" + stackOf(thread));
        }
        assertNoViolations();
    }

    private void run(BackendProvider provider, BackendConfig config, HandlerFactory handlers, CompletableFuture<Void> opened) {
        Backend opening;
        try {
            opening = provider.open(config);
        } catch (Throwable t) {
            opened.completeExceptionally(t);
            return;
        }
        backend = opening;
        try {
            checker.delegate = handlers.create(opening);
        } catch (Throwable t) {
            opening.close();
            opened.completeExceptionally(t);
            return;
        }
        opened.complete(null);
        try {
            while (!stopping) {
                runTasks();
                if (stopping) {
                    break;
                }
                checker.beforePoll();
                int delivered = opening.poll(Backend.WAIT_FOREVER, checker);
                checker.afterPoll(delivered);
                polls++;
            }
        } catch (Throwable t) {
            loopFailure = t;
        } finally {
            try {
                opening.close();
            } catch (Throwable t) {
                violations.add("Backend.close() threw " + describe(t));
            }
            Runnable late;
            while ((late = tasks.poll()) != null) {
                late.run(); // the backend is closed: the task fails fast instead of its caller timing out
            }
        }
    }

    private void runTasks() {
        Runnable task;
        while ((task = tasks.poll()) != null) {
            task.run();
        }
    }

    private static Exception unwrap(ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof Error error) {
            throw error;
        }
        return cause instanceof Exception exception ? exception : e;
    }

    private static String stackOf(Thread thread) {
        return Arrays.stream(thread.getStackTrace()).map(frame -> "\n\tat " + frame).collect(Collectors.joining());
    }

    private static String describe(Throwable t) {
        StringWriter text = new StringWriter();
        t.printStackTrace(new PrintWriter(text));
        return text.toString();
    }

    /** Checks every callback against the contract; allocates only when it finds a violation. */
    private final class CheckingHandler implements Backend.Handler {

        private Backend.Handler delegate;
        private boolean inPoll;
        private int depth;
        private int delivered;

        void beforePoll() {
            inPoll = true;
            delivered = 0;
        }

        void afterPoll(int returned) {
            inPoll = false;
            if (returned != delivered) {
                violations.add("poll returned " + returned + " but delivered " + delivered + " callbacks");
            }
        }

        private void enter(String callback, int handle) {
            delivered++;
            if (Thread.currentThread() != thread) {
                violations.add(callback + " delivered on " + Thread.currentThread() + ", not on the loop thread");
            }
            if (!inPoll) {
                violations.add(callback + "(" + handle + ") delivered outside poll, by the call that started the operation");
            }
            if (depth > 0) {
                violations.add(callback + "(" + handle + ") delivered from inside a backend call made by another callback");
            }
            if (handle < 0) {
                violations.add(callback + " delivered with a negative handle " + handle);
            }
            depth++;
        }

        private void failed(String callback, Throwable t) {
            violations.add("the test's handler threw in " + callback + ": " + describe(t));
        }

        @Override
        public void onAccept(int listener, int connection) {
            enter("onAccept", connection);
            try {
                delegate.onAccept(listener, connection);
            } catch (Throwable t) {
                failed("onAccept", t);
            } finally {
                depth--;
            }
        }

        @Override
        public void onAcceptError(int listener, IOException error) {
            enter("onAcceptError", listener);
            if (error == null) {
                violations.add("onAcceptError without an error");
            }
            try {
                delegate.onAcceptError(listener, error);
            } catch (Throwable t) {
                failed("onAcceptError", t);
            } finally {
                depth--;
            }
        }

        @Override
        public void onRead(int connection, ByteBuffer data) {
            enter("onRead", connection);
            if (!data.hasRemaining()) {
                violations.add("onRead(" + connection + ") delivered zero bytes");
            }
            if (!data.isReadOnly()) {
                violations.add("onRead(" + connection + ") delivered a writable buffer, not a read-only view");
            }
            try {
                delegate.onRead(connection, data);
            } catch (Throwable t) {
                failed("onRead", t);
            } finally {
                depth--;
            }
        }

        @Override
        public void onEof(int connection) {
            enter("onEof", connection);
            try {
                delegate.onEof(connection);
            } catch (Throwable t) {
                failed("onEof", t);
            } finally {
                depth--;
            }
        }

        @Override
        public void onWritten(int connection) {
            enter("onWritten", connection);
            try {
                delegate.onWritten(connection);
            } catch (Throwable t) {
                failed("onWritten", t);
            } finally {
                depth--;
            }
        }

        @Override
        public void onError(int connection, IOException error) {
            enter("onError", connection);
            if (error == null) {
                violations.add("onError without an error");
            }
            try {
                delegate.onError(connection, error);
            } catch (Throwable t) {
                failed("onError", t);
            } finally {
                depth--;
            }
        }
    }
}
