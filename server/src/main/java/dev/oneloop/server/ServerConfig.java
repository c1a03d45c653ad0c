package dev.oneloop.server;

import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.Handles;
import java.time.Duration;

/**
 * How an {@link EchoServer} runs. {@link #DEFAULTS} are the CLI's defaults; change one field with the
 * {@code with...} methods.
 *
 * @param bindAddress      address to listen on (default {@code 127.0.0.1})
 * @param port             TCP port; 0 picks a free one (default 9000)
 * @param statusInterval   period of the "Server status" line sent to every connection (default 5 s)
 * @param highWatermark    outbound bytes queued for one connection above which the server stops
 *                         reading from it (default 1 MiB)
 * @param lowWatermark     queued bytes at or below which reading resumes (default 256 KiB)
 * @param maxBacklog       queued bytes beyond which the connection is closed: a client that stopped
 *                         reading while broadcasts keep coming (default 4 MiB)
 * @param shutdownTimeout  how long a stopping server keeps flushing pending output (default 2 s)
 * @param maxConnections   connections open at once; more are refused (default 10,000)
 * @param readBufferSize   bytes per receive, the backend's read buffer (default 16 KiB)
 * @param chunkSize        size of the pooled direct chunks outbound data is queued in (default 16 KiB)
 * @param acceptBackoff    pause before accepting again after an accept error such as EMFILE
 *                         (default 100 ms)
 * @param listenBacklog    length of the listener's queue of not yet accepted connections (default 1024)
 * @param readBufferCount  receive buffers shared by all connections on io_uring (its provided-buffer
 *                         ring); 0 derives it from the read buffer size (the default, 512 of 16 KiB)
 * @param idleTimeout      a connection that has sent nothing for this long is closed; zero turns it
 *                         off (the default, like Redis's {@code timeout 0}); else at least 10 ms
 */
public record ServerConfig(
        String bindAddress,
        int port,
        Duration statusInterval,
        int highWatermark,
        int lowWatermark,
        int maxBacklog,
        Duration shutdownTimeout,
        int maxConnections,
        int readBufferSize,
        int chunkSize,
        Duration acceptBackoff,
        int listenBacklog,
        int readBufferCount,
        Duration idleTimeout) {

    public static final ServerConfig DEFAULTS = new ServerConfig(
            "127.0.0.1", 9000, Duration.ofSeconds(5),
            1 << 20, 256 << 10, 4 << 20,
            Duration.ofSeconds(2), 10_000, 16 << 10, 16 << 10,
            Duration.ofMillis(100), 1024, 0, Duration.ZERO);

    /** The shortest idle timeout: it is checked every eighth of itself, so at most every 1.25 ms. */
    public static final Duration MIN_IDLE_TIMEOUT = Duration.ofMillis(10);

    public ServerConfig {
        if (bindAddress == null || bindAddress.isBlank()) {
            throw new IllegalArgumentException("bind address must not be empty");
        }
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be in [0, 65535]: " + port);
        }
        requirePositive("status interval", statusInterval);
        requirePositive("accept backoff", acceptBackoff);
        if (shutdownTimeout == null || shutdownTimeout.isNegative()) {
            throw new IllegalArgumentException("shutdown timeout must not be negative: " + shutdownTimeout);
        }
        if (lowWatermark < 0 || lowWatermark >= highWatermark) {
            throw new IllegalArgumentException(
                    "low watermark (" + lowWatermark + ") must be at least 0 and below the high watermark (" + highWatermark + ")");
        }
        if (maxBacklog < highWatermark) {
            throw new IllegalArgumentException(
                    "max backlog (" + maxBacklog + ") must not be below the high watermark (" + highWatermark + ")");
        }
        if (maxConnections < 1 || maxConnections >= Handles.MAX_SLOTS) {
            throw new IllegalArgumentException("max connections must be in [1, " + (Handles.MAX_SLOTS - 1) + "]: " + maxConnections);
        }
        if (readBufferSize < 64) {
            throw new IllegalArgumentException("read buffer must be at least 64 bytes: " + readBufferSize);
        }
        if (chunkSize < 64) {
            throw new IllegalArgumentException("chunk size must be at least 64 bytes: " + chunkSize);
        }
        if (readBufferCount < 0 || readBufferCount > BackendConfig.MAX_READ_BUFFER_COUNT) {
            throw new IllegalArgumentException(
                    "read buffers must be in [1, " + BackendConfig.MAX_READ_BUFFER_COUNT + "], or 0 for the default: " + readBufferCount);
        }
        if (idleTimeout == null || idleTimeout.isNegative() || (!idleTimeout.isZero() && idleTimeout.compareTo(MIN_IDLE_TIMEOUT) < 0)) {
            throw new IllegalArgumentException("idle timeout must be 0 (off) or at least " + Durations.format(MIN_IDLE_TIMEOUT) + ": " + idleTimeout);
        }
        if (listenBacklog < 1) {
            throw new IllegalArgumentException("listen backlog must be positive: " + listenBacklog);
        }
    }

    private static void requirePositive(String what, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(what + " must be positive: " + value);
        }
    }

    /**
     * What to open the backend with: room for the listener, every connection, and one more, so that
     * the connection beyond {@link #maxConnections()} reaches the server to be refused (closed at once
     * and counted) instead of failing acceptance in the backend.
     */
    public BackendConfig backendConfig() {
        return readBufferCount == 0 ? new BackendConfig(maxConnections + 2, readBufferSize)
                : new BackendConfig(maxConnections + 2, readBufferSize, readBufferCount);
    }

    public ServerConfig withBindAddress(String value) {
        return new ServerConfig(value, port, statusInterval, highWatermark, lowWatermark, maxBacklog, shutdownTimeout,
                maxConnections, readBufferSize, chunkSize, acceptBackoff, listenBacklog, readBufferCount, idleTimeout);
    }

    public ServerConfig withPort(int value) {
        return new ServerConfig(bindAddress, value, statusInterval, highWatermark, lowWatermark, maxBacklog, shutdownTimeout,
                maxConnections, readBufferSize, chunkSize, acceptBackoff, listenBacklog, readBufferCount, idleTimeout);
    }

    public ServerConfig withStatusInterval(Duration value) {
        return new ServerConfig(bindAddress, port, value, highWatermark, lowWatermark, maxBacklog, shutdownTimeout,
                maxConnections, readBufferSize, chunkSize, acceptBackoff, listenBacklog, readBufferCount, idleTimeout);
    }

    /** Sets both watermarks and the hard limit together, since each bounds the others. */
    public ServerConfig withBacklogLimits(int high, int low, int max) {
        return new ServerConfig(bindAddress, port, statusInterval, high, low, max, shutdownTimeout,
                maxConnections, readBufferSize, chunkSize, acceptBackoff, listenBacklog, readBufferCount, idleTimeout);
    }

    public ServerConfig withShutdownTimeout(Duration value) {
        return new ServerConfig(bindAddress, port, statusInterval, highWatermark, lowWatermark, maxBacklog, value,
                maxConnections, readBufferSize, chunkSize, acceptBackoff, listenBacklog, readBufferCount, idleTimeout);
    }

    public ServerConfig withMaxConnections(int value) {
        return new ServerConfig(bindAddress, port, statusInterval, highWatermark, lowWatermark, maxBacklog, shutdownTimeout,
                value, readBufferSize, chunkSize, acceptBackoff, listenBacklog, readBufferCount, idleTimeout);
    }

    public ServerConfig withReadBufferSize(int value) {
        return new ServerConfig(bindAddress, port, statusInterval, highWatermark, lowWatermark, maxBacklog, shutdownTimeout,
                maxConnections, value, chunkSize, acceptBackoff, listenBacklog, readBufferCount, idleTimeout);
    }

    public ServerConfig withChunkSize(int value) {
        return new ServerConfig(bindAddress, port, statusInterval, highWatermark, lowWatermark, maxBacklog, shutdownTimeout,
                maxConnections, readBufferSize, value, acceptBackoff, listenBacklog, readBufferCount, idleTimeout);
    }

    public ServerConfig withAcceptBackoff(Duration value) {
        return new ServerConfig(bindAddress, port, statusInterval, highWatermark, lowWatermark, maxBacklog, shutdownTimeout,
                maxConnections, readBufferSize, chunkSize, value, listenBacklog, readBufferCount, idleTimeout);
    }

    public ServerConfig withListenBacklog(int value) {
        return new ServerConfig(bindAddress, port, statusInterval, highWatermark, lowWatermark, maxBacklog, shutdownTimeout,
                maxConnections, readBufferSize, chunkSize, acceptBackoff, value, readBufferCount, idleTimeout);
    }

    public ServerConfig withReadBufferCount(int value) {
        return new ServerConfig(bindAddress, port, statusInterval, highWatermark, lowWatermark, maxBacklog, shutdownTimeout,
                maxConnections, readBufferSize, chunkSize, acceptBackoff, listenBacklog, value, idleTimeout);
    }

    public ServerConfig withIdleTimeout(Duration value) {
        return new ServerConfig(bindAddress, port, statusInterval, highWatermark, lowWatermark, maxBacklog, shutdownTimeout,
                maxConnections, readBufferSize, chunkSize, acceptBackoff, listenBacklog, readBufferCount, value);
    }
}
