package dev.oneloop.examples.resp;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendSelectionException;
import dev.oneloop.backend.Backends;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** A {@link RespServer} on a thread of its own, for tests and embedding: that thread opens the backend, binds, serves and closes it. */
public final class RespServerThread implements AutoCloseable {

    private final Thread thread;
    private final CompletableFuture<RespServer> bound = new CompletableFuture<>();
    private volatile Throwable failure;
    private RespServer server;

    private RespServerThread(String backendName, RespConfig config) {
        thread = new Thread(() -> serve(backendName, config), "oneloop-resp-" + backendName);
    }

    /** Starts a server on backend {@code backendName} (or {@code auto}) and returns once it listens. */
    public static RespServerThread start(String backendName, RespConfig config) throws BackendSelectionException, IOException {
        RespServerThread started = new RespServerThread(backendName, config);
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

    private void serve(String backendName, RespConfig config) {
        Backend backend;
        try {
            backend = Backends.open(backendName, config.backendConfig());
        } catch (BackendSelectionException | RuntimeException | Error e) {
            bound.completeExceptionally(e);
            return;
        }
        try (backend) {
            RespServer resp = new RespServer(backend, config, System::nanoTime);
            resp.bind();
            bound.complete(resp);
            resp.run();
        } catch (IOException | RuntimeException | Error e) {
            if (!bound.completeExceptionally(e)) {
                failure = e;
            }
        }
    }

    public RespServer server() {
        return server;
    }

    public InetSocketAddress address() {
        return server.localAddress();
    }

    /** The loop thread, e.g. to read its allocated bytes. */
    public Thread thread() {
        return thread;
    }

    /** Stops the server gracefully and waits for its thread; fails if it did not stop in time or the loop had failed. */
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
        if (failure != null) {
            throw new IllegalStateException("server loop failed", failure);
        }
    }
}
