package dev.oneloop.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    /**
     * The runner's summary tells apart runs within the goal's 64 connections and the churners' runs
     * past them: seeds 1-5 have 131, 1, 25, 62 and 47 connections, and two of the four within 64
     * run 55 virtual s or more.
     */
    @Test
    void aSweepReportsItsSpeedByWorkload() throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream out = System.out;
        boolean passed;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            passed = Main.sweep(List.of(1L, 2L, 3L, 4L, 5L), 1, Integer.MAX_VALUE);
        } finally {
            System.setOut(out);
        }
        String report = captured.toString(StandardCharsets.UTF_8);
        assertThat(passed).as(report).isTrue();
        assertThat(report).contains("5 seeds in ").endsWith("5 passed, 0 failed" + System.lineSeparator());
        assertThat(seedsOf(report, "runs with at most 64 connections")).as(report).isEqualTo(4);
        assertThat(seedsOf(report, "runs with more \\(churners\\)")).as(report).isEqualTo(1);
        Matcher full = Pattern.compile("    those of 55 virtual s or more: (\\d+) seeds?, [\\d.]+ virtual s"
                + " on average: \\d+ seeds per CPU-second").matcher(report);
        assertThat(full.find()).as(report).isTrue();
        assertThat(Integer.parseInt(full.group(1))).as(report).isEqualTo(2);
    }

    private static int seedsOf(String report, String label) {
        Matcher m = Pattern.compile("  " + label + ": ([\\d,]+) seeds?, [\\d.]+ virtual s on average: [\\d,]+ virtual s per CPU-second,"
                + " as many as \\d+ seeds of 60 virtual s").matcher(report);
        assertThat(m.find()).as("a line for %s in:%n%s", label, report).isTrue();
        return Integer.parseInt(m.group(1).replace(",", ""));
    }

    private static void assertPasses(SimRun.Result result) {
        assertThat(result.failure()).as("seed %d (faults %s; config %s; clients %s); replay: java -jar sim/target/oneloop-sim.jar --seed %d --trace",
                result.seed(), result.faults(), result.config(), result.clients(), result.seed()).isNull();
    }
}
