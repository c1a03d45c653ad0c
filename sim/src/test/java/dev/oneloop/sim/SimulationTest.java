package dev.oneloop.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The simulation in the build: every kept regression seed, and a short sweep. Each seed runs twice
 * and must pass both times with the same trace. The long sweeps run from the jar ({@code sim/README.md}).
 */
class SimulationTest {

    /** Seeds of the short sweep; {@code -Doneloop.sim.sweep=N} (the coverage profile) runs more. */
    private static final int SWEEP = Integer.getInteger("oneloop.sim.sweep", 40);

    @TestFactory
    Stream<DynamicTest> everyKeptRegressionSeedPasses() {
        return Regressions.SEEDS.stream().map(kept -> DynamicTest.dynamicTest("seed " + kept.seed() + ": " + kept.found(),
                () -> assertPasses(Main.check(kept.seed(), false))));
    }

    @Test
    void aShortSweepPassesAndIsDeterministic() {
        for (long seed = 1; seed <= SWEEP; seed++) {
            assertPasses(Main.check(seed, false));
        }
    }

    @Test
    void aSeedReplaysExactly() {
        SimRun.Result first = SimRun.run(7, true);
        SimRun.Result again = SimRun.run(7, true);
        assertThat(again.traceHash()).isEqualTo(first.traceHash());
        assertThat(again.traceTail()).isEqualTo(first.traceTail());
        assertThat(first.traceEvents()).isGreaterThan(100);
    }

    @Test
    void theClockStartsNearTheEndOfTheLongRangeSoTimersWrapAround() {
        SimRun.Result run = SimRun.run(3, true);
        List<String> lines = run.traceTail();
        assertThat(lines.getFirst()).as("first event").startsWith("9,223,37");
        assertThat(lines.getLast()).as("last event, after the wrap").startsWith("-9,223,37");
    }

    private static void assertPasses(SimRun.Result result) {
        assertThat(result.failure()).as("seed %d (faults %s; config %s; clients %s); replay: java -jar sim/target/oneloop-sim.jar --seed %d --trace",
                result.seed(), result.faults(), result.config(), result.clients(), result.seed()).isNull();
    }
}
