package dev.oneloop.bench.load;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * One load run against one server.
 *
 * @param target           the server
 * @param connections      concurrent connections
 * @param messageSize      bytes per message
 * @param ratePerSecond    0 for a closed loop (each connection sends its next message when the
 *                         previous echo has fully arrived); otherwise the fixed total rate
 * @param warmup           load before anything is measured
 * @param measure          the window of throughput, latency and CPU
 * @param syscallWindow    a following window with a syscall counter attached (0 for none); kept
 *                         apart so the counter's own cost does not enter the CPU figures
 * @param drainTimeout     how long outstanding echoes may take to arrive after sending stops
 * @param clientThreads    selector threads of the client
 * @param maxInFlight      messages one connection may have outstanding in rate mode (power of two)
 */
public record LoadSpec(
        InetSocketAddress target,
        int connections,
        int messageSize,
        long ratePerSecond,
        Duration warmup,
        Duration measure,
        Duration syscallWindow,
        Duration drainTimeout,
        int clientThreads,
        int maxInFlight) {

    public LoadSpec {
        if (connections < 1 || messageSize < 1 || clientThreads < 1 || ratePerSecond < 0) {
            throw new IllegalArgumentException("connections, message size and threads must be positive, rate >= 0");
        }
        if (Integer.bitCount(maxInFlight) != 1) {
            throw new IllegalArgumentException("maxInFlight must be a power of two: " + maxInFlight);
        }
        if (measure.isZero() || measure.isNegative()) {
            throw new IllegalArgumentException("the measured window must be positive");
        }
    }

    public boolean closedLoop() {
        return ratePerSecond == 0;
    }
}
