package dev.oneloop.server;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendSelectionException;
import dev.oneloop.backend.Backends;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * An {@link EchoServer} running on a thread of its own, for embedding (benchmarks, tests): the
 * thread opens the backend, binds, serves, and closes the backend when the server stops, so every
 * backend call stays on that one thread.
 */
public final class EchoServerThread implements AutoCloseable {

    private final Thread thread;
    private final CompletableFuture<EchoServer> bound = new CompletableFuture<>();
    private volatile Throwable failure;
    private EchoServer server;

    private EchoServerThread(String backendName, ServerConfig config, Observability observability) {
        thread = new Thread(() -> serve(backendName, config, observability), "oneloop-" + backendName);
    }

    /**
     * Starts a server on a new thread named {@code oneloop-<backend>} and returns once it listens.
     *
     * @param backendName a {@code -Dbackend} name, or {@code auto}
     * @throws BackendSelectionException if that backend is unknown or cannot run here
     * @throws IOException               if the server could not bind
     */
    public static EchoServerThread start(String backendName, ServerConfig config) throws BackendSelectionException, IOException {
        return start(backendName, config, Observability.DEFAULTS);
    }

    /** {@link #start(String, ServerConfig)} with how the server can be watched. */
    public static EchoServerThread start(String backendName, ServerConfig config, Observability observability)
            throws BackendSelectionException, IOException {
        EchoServerThread started = new EchoServerThread(backendName, config, observability);
        started.thread.start();
        try {
            started.server = started.bound.get();
            return started;
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case BackendSelectionException selection -> throw selection;
                case IOException io -> throw io;
                case RuntimeException runtime -> throw runtime;
                case Error error -> throw error;
                default -> throw new IllegalStateException(e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while the server was starting", e);
        }
    }

    private void serve(String backendName, ServerConfig config, Observability observability) {
        Backend backend;
        try {
            backend = Backends.open(backendName, config.backendConfig());
        } catch (BackendSelectionException | RuntimeException | Error e) {
            bound.completeExceptionally(e);
            return;
        }
        try (backend) {
            EchoServer echo = new EchoServer(backend, config, observability, System::nanoTime);
            echo.bind();
            bound.complete(echo);
            echo.run();
        } catch (IOException | RuntimeException | Error e) {
            if (!bound.completeExceptionally(e)) {
                failure = e;
            }
        }
    }

    public EchoServer server() {
        return server;
    }

    /** The address the server listens on. */
    public InetSocketAddress address() {
        return server.localAddress();
    }

    /** The loop thread, e.g. to read its CPU time or allocated bytes. */
    public Thread thread() {
        return thread;
    }

    /** The error that ended the loop early, or {@code null}. */
    public Throwable failure() {
        return failure;
    }

    /**
     * Stops the server gracefully and waits for its thread.
     *
     * @throws IllegalStateException if the thread did not end within the shutdown timeout plus a
     *                               margin, or the loop had failed
     */
    @Override
    public void close() {
        server.requestStop();
        Duration wait = server.config().shutdownTimeout().plusSeconds(10);
        try {
            thread.join(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping the server", e);
        }
        if (thread.isAlive()) {
            throw new IllegalStateException("server thread " + thread.getName() + " did not stop within " + wait);
        }
        Throwable failed = failure;
        if (failed != null) {
            throw new IllegalStateException("server loop failed", failed);
        }
    }
}
