package dev.oneloop.bench.jmh;

import java.util.concurrent.TimeUnit;

import dev.oneloop.server.IdleTracker;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The {@code --idle-timeout} scan the server runs every {@code timeout / 8}: one pass over the dense
 * array of read stamps of {@code connections} open connections, none of them idle (the common case,
 * and the most work: nothing ends the pass early). Mind {@code -prof gc}: 0 B per scan.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class IdleScanBenchmark {

    @Param({"10000"})
    public int connections;

    private IdleTracker tracker;

    @Setup
    public void stamp() {
        tracker = new IdleTracker(connections);
        for (int i = 0; i < connections; i++) {
            tracker.heard(i);
        }
    }

    @Benchmark
    public int scan() {
        return tracker.nextIdle(connections);
    }
}
