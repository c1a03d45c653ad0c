package dev.oneloop.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.oneloop.bench.load.FanoutResult;

class ReportFanoutTest {

    private static final int N = 9_000;

    /** A fan-out of 10 broadcasts to N connections: this CPU per line, this RSS growth per connection, this many lines missing. */
    private static FanoutSample sample(String server, double micros, double kib, long missing) {
        long lines = 10L * N - missing;
        FanoutResult r = new FanoutResult(N, N, N, 10, lines, missing, 0, 0, 0, 10.0, micros * lines / 1e6, 0.5, 100_000, 100_000,
                100_000 + Math.round(kib * N), 1.0, new double[] {20, 30, 25}, missing == 0 ? List.of() : List.of("connection 7: ..."));
        return new FanoutSample(server, 1, r, 20_000);
    }

    private static Report report(Path dir, List<FanoutSample> fanout) throws Exception {
        Map<String, ServerOutcome> outcomes = new LinkedHashMap<>();
        for (FanoutSample f : fanout) {
            outcomes.put(f.server(), new ServerOutcome(f.server(), ServerOutcome.Status.RAN, null, List.of("x"), "listening on 127.0.0.1:1"));
        }
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("statusInterval", "1s");
        config.put("fanoutWindow", "10s");
        return Report.write(dir, "t", Map.of(), config, outcomes, List.of(), List.of(), List.of(), fanout, 1, false);
    }

    @Test
    void checksEachOneloopServerAgainstTheFloorOfItsModelAndTheMemoryGoal(@TempDir Path dir) throws Exception {
        Report r = report(dir, List.of(sample("oneloop-epoll", 10.5, 3.9, 0), sample("oneloop-iouring", 13, 16, 0),
                sample("netty-epoll", 30, 2, 0), sample("c-epoll", 10, 4.1, 0), sample("c-iouring", 10, 8, 0)));

        assertThat(r.goals()).extracting(Report.Goal::line).containsExactly(
                "oneloop-epoll: CPU per status line 10.50 µs = 1.05× c-epoll's 10.00 µs (goal ≤ 1.1×): met",
                "oneloop-epoll: RSS per idle connection 3.90 KiB (goal ≤ 6 KiB; c-epoll: 4.10 KiB): met",
                "oneloop-iouring: CPU per status line 13.00 µs = 1.30× c-iouring's 10.00 µs (goal ≤ 1.1×): **not met**",
                "oneloop-iouring: RSS per idle connection 16.00 KiB (goal ≤ 6 KiB; c-epoll: 4.10 KiB): **not met**");
        String md = Files.readString(r.markdown());
        assertThat(md).contains("## Fan-out", "## Goals", "| oneloop-iouring | 9,000 | 10 | 13.00 | 1.30× | 16.00 | 25.0 | 30.0 | 5 | 0 / 0 / 0 | yes |");
        assertThat(Files.readString(r.json())).contains("\"fanout\"", "\"goals\"", "\"rssKiBPerConnection\"");
        assertThat(r.problems(1, false, true)).allMatch(p -> p.contains("was not written")); // only the chart: not the last save
    }

    @Test
    void aFanoutWithMissingLinesIsAProblemAndShowsWhy(@TempDir Path dir) throws Exception {
        Report r = report(dir, List.of(sample("oneloop-nio", 12, 5, 3), sample("c-epoll", 10, 4.1, 0)));

        assertThat(r.problems(1, false, true)).anyMatch(p -> p.startsWith("oneloop-nio fan-out (repetition 1): ")
                && p.contains("3 missing") && p.contains("connection 7: ..."));
        assertThat(Files.readString(r.markdown())).contains("| 0 / 0 / 0 | yes |").contains("| 3 / 0 / 0 | **NO**: ");
    }

    @Test
    void withoutAFloorTheCpuGoalIsNotChecked(@TempDir Path dir) throws Exception {
        Report r = report(dir, List.of(sample("oneloop-iouring", 13, 5, 0)));

        assertThat(r.goals().get(0).line()).isEqualTo(
                "oneloop-iouring: CPU per status line 13.00 µs, no usable c-iouring figure in this run to compare with (goal ≤ 1.1× c-iouring): not checked");
        assertThat(r.goals().get(0).met()).isFalse();
    }
}
