package dev.oneloop.server;

import java.time.Duration;

/**
 * How an {@link EchoServer} can be watched from outside; nothing here changes what it does.
 *
 * @param turnEventThreshold a loop turn busy for at least this long is recorded as a
 *                           {@code oneloop.LoopTurn} Flight Recorder event while a recording runs
 *                           (default 10 ms); {@code null} never records turns. The other
 *                           {@code oneloop.*} events are recorded whenever a recording enables them.
 * @param jmx                register the server's {@link EchoServerMXBean} with the platform MBean
 *                           server while it runs (default on)
 */
public record Observability(Duration turnEventThreshold, boolean jmx) {

    public static final Observability DEFAULTS = new Observability(Duration.ofMillis(10), true);

    public Observability {
        if (turnEventThreshold != null && turnEventThreshold.isNegative()) {
            throw new IllegalArgumentException("turn event threshold must not be negative: " + turnEventThreshold);
        }
    }

    public Observability withTurnEventThreshold(Duration value) {
        return new Observability(value, jmx);
    }

    public Observability withJmx(boolean value) {
        return new Observability(turnEventThreshold, value);
    }
}
