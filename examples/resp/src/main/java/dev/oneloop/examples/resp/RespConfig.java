package dev.oneloop.examples.resp;

import dev.oneloop.backend.BackendConfig;
import java.time.Duration;

/**
 * Settings of a {@link RespServer}; {@link #DEFAULTS} are what {@code resp-server} runs with when no
 * flag is given.
 *
 * @param highWatermark      queued reply bytes above which the server stops reading from a connection
 * @param lowWatermark       reading resumes at or below this
 * @param maxBacklog         queued reply bytes beyond which a connection is closed (a client that
 *                           pipelines without reading its replies); Redis's
 *                           {@code client-output-buffer-limit} hard limit
 * @param maxQueryBuffer     bytes of one connection's unparsed input beyond which it is closed;
 *                           Redis's {@code client-query-buffer-limit}
 * @param maxBulkLength      longest bulk string accepted in a request; Redis's {@code proto-max-bulk-len}
 * @param maxMultibulkLength most arguments accepted in one request (Redis: {@code INT_MAX})
 */
public record RespConfig(
        String bindAddress,
        int port,
        int highWatermark,
        int lowWatermark,
        long maxBacklog,
        int maxQueryBuffer,
        int maxBulkLength,
        int maxMultibulkLength,
        Duration shutdownTimeout,
        int maxConnections,
        int readBufferSize,
        int chunkSize,
        Duration acceptBackoff,
        int listenBacklog) {

    public static final RespConfig DEFAULTS = new RespConfig("127.0.0.1", 6379, 1 << 20, 256 << 10, 64L << 20,
            1 << 30, 512 << 20, Integer.MAX_VALUE, Duration.ofSeconds(2), 10_000, 16 << 10, 16 << 10,
            Duration.ofMillis(100), 1024);

    public RespConfig {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in [0, 65535]: " + port);
        }
        if (lowWatermark < 0 || lowWatermark > highWatermark) {
            throw new IllegalArgumentException("low watermark must be in [0, high watermark " + highWatermark + "]: " + lowWatermark);
        }
        if (maxBacklog < highWatermark) {
            throw new IllegalArgumentException("max backlog must be at least the high watermark " + highWatermark + ": " + maxBacklog);
        }
        if (maxBulkLength < 1 || maxMultibulkLength < 1) {
            throw new IllegalArgumentException("max bulk length and max multibulk length must be positive");
        }
        if (maxQueryBuffer < RequestParser.INLINE_MAX_SIZE) {
            throw new IllegalArgumentException("max query buffer must be at least " + RequestParser.INLINE_MAX_SIZE + ": " + maxQueryBuffer);
        }
        if (maxConnections < 1 || listenBacklog < 1) {
            throw new IllegalArgumentException("max connections and listen backlog must be positive");
        }
        if (chunkSize < 64) {
            throw new IllegalArgumentException("chunk size must be at least 64: " + chunkSize);
        }
        if (shutdownTimeout.isNegative() || acceptBackoff.isNegative()) {
            throw new IllegalArgumentException("durations must not be negative");
        }
    }

    public BackendConfig backendConfig() {
        return new BackendConfig(maxConnections + 1, readBufferSize);
    }

    public RespConfig withPort(int value) {
        return new RespConfig(bindAddress, value, highWatermark, lowWatermark, maxBacklog, maxQueryBuffer, maxBulkLength,
                maxMultibulkLength, shutdownTimeout, maxConnections, readBufferSize, chunkSize, acceptBackoff, listenBacklog);
    }

    public RespConfig withLimits(int high, int low, long backlog, int queryBuffer, int bulkLength) {
        return new RespConfig(bindAddress, port, high, low, backlog, queryBuffer, bulkLength, maxMultibulkLength,
                shutdownTimeout, maxConnections, readBufferSize, chunkSize, acceptBackoff, listenBacklog);
    }

    public RespConfig withMaxConnections(int value) {
        return new RespConfig(bindAddress, port, highWatermark, lowWatermark, maxBacklog, maxQueryBuffer, maxBulkLength,
                maxMultibulkLength, shutdownTimeout, value, readBufferSize, chunkSize, acceptBackoff, listenBacklog);
    }
}
