package dev.oneloop.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

import dev.oneloop.bench.Json;
import dev.oneloop.bench.load.FanoutResult;
import dev.oneloop.bench.load.LoadResult;

/**
 * Aggregates the samples (median and min–max over repetitions per server and workload) and writes
 * NAME.json, NAME.md and NAME.png. Figures are only ever what was measured in this run.
 */
final class Report {

    /** Median, smallest and largest of one figure over the repetitions. */
    record Stat(double median, double min, double max, int n) {

        static Stat of(List<Double> values) {
            List<Double> v = values.stream().filter(d -> !Double.isNaN(d)).sorted().toList();
            if (v.isEmpty()) {
                return new Stat(Double.NaN, Double.NaN, Double.NaN, 0);
            }
            int n = v.size();
            double median = n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
            return new Stat(median, v.get(0), v.get(n - 1), n);
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("median", median);
            m.put("min", min);
            m.put("max", max);
            return m;
        }
    }

    /** The figures of one server on one workload over its repetitions. */
    record Row(String server, Cell cell, List<Sample> samples) {

        Stat stat(ToDoubleFunction<LoadResult> f) {
            return Stat.of(samples.stream().map(s -> f.applyAsDouble(s.result())).toList());
        }

        boolean verified() {
            return samples.stream().allMatch(s -> s.result().allVerified());
        }

        boolean clientSaturated() {
            return samples.stream().anyMatch(s -> s.result().clientSaturated());
        }
    }

    private final Path json;
    private final Path markdown;
    private final Path chart;
    private final Map<String, ServerOutcome> outcomes;
    private final List<Cell> cells;
    private final List<Row> rows;
    private final List<IdleSample> idle;
    private final List<FanoutSample> fanout;
    private final List<String> notes = new ArrayList<>();

    private Report(Path json, Path markdown, Path chart, Map<String, ServerOutcome> outcomes, List<Cell> cells, List<Row> rows,
            List<IdleSample> idle, List<FanoutSample> fanout) {
        this.json = json;
        this.markdown = markdown;
        this.chart = chart;
        this.outcomes = outcomes;
        this.cells = cells;
        this.rows = rows;
        this.idle = idle;
        this.fanout = fanout;
    }

    /** Writes the three files; {@code last} is false for the intermediate saves after each server. */
    static Report write(Path out, String name, Map<String, Object> machine, Map<String, Object> config,
            Map<String, ServerOutcome> outcomes, List<Cell> cells, List<Sample> samples, List<IdleSample> idle,
            List<FanoutSample> fanout, double seconds, boolean last)
            throws IOException {
        List<Row> rows = new ArrayList<>();
        for (Cell cell : cells) {
            for (String server : outcomes.keySet()) {
                List<Sample> mine = samples.stream().filter(s -> s.server().equals(server) && s.cell().equals(cell))
                        .sorted(Comparator.comparingInt(Sample::repetition)).toList();
                if (!mine.isEmpty()) {
                    rows.add(new Row(server, cell, mine));
                }
            }
        }
        Report r = new Report(out.resolve(name + ".json"), out.resolve(name + ".md"), out.resolve(name + ".png"), outcomes, cells, rows,
                List.copyOf(idle), List.copyOf(fanout));
        Files.writeString(r.json, Json.write(r.toJson(machine, config, seconds, last)));
        Files.writeString(r.markdown, r.toMarkdown(machine, config, seconds));
        if (last) {
            try {
                Chart.write(r.chart, rows, cells, outcomes.keySet());
            } catch (RuntimeException | Error e) {
                // A headless JDK without fonts cannot draw; the report says so instead of failing whole.
                r.notes.add("chart not written: " + e);
                Files.deleteIfExists(r.chart);
                Files.writeString(r.markdown, r.toMarkdown(machine, config, seconds));
            }
        }
        return r;
    }

    Path json() {
        return json;
    }

    Path markdown() {
        return markdown;
    }

    Path chart() {
        return chart;
    }

    /** What keeps the report from being complete: a failed server, a missing workload, an unverified echo, a missing file. */
    List<String> problems(int repetitions, boolean idleMeasured, boolean fanoutMeasured) {
        List<String> problems = new ArrayList<>();
        for (ServerOutcome o : outcomes.values()) {
            if (o.status() == ServerOutcome.Status.FAILED) {
                problems.add(o.name() + " failed: " + o.reason());
                continue;
            }
            if (o.status() == ServerOutcome.Status.SKIPPED) {
                continue;
            }
            long idleRuns = idle.stream().filter(i -> i.server().equals(o.name())).count();
            if (idleMeasured && idleRuns != repetitions) {
                problems.add(o.name() + ": idle measurement in " + idleRuns + " of " + repetitions + " repetitions");
            }
            List<FanoutSample> fanoutRuns = fanoutOf(o.name());
            if (fanoutMeasured && fanoutRuns.size() != repetitions) {
                problems.add(o.name() + ": fan-out measurement in " + fanoutRuns.size() + " of " + repetitions + " repetitions");
            }
            for (FanoutSample f : fanoutRuns) {
                if (!f.result().allVerified()) {
                    problems.add(o.name() + " fan-out (repetition " + f.repetition() + "): " + fanoutFailure(f.result()));
                }
            }
            for (Cell cell : cells) {
                Row row = rows.stream().filter(r -> r.server().equals(o.name()) && r.cell().equals(cell)).findFirst().orElse(null);
                int n = row == null ? 0 : row.samples().size();
                if (n != repetitions) {
                    problems.add(o.name() + " " + cell.label() + ": " + n + " of " + repetitions + " repetitions");
                } else if (!row.verified()) {
                    problems.add(o.name() + " " + cell.label() + ": not every echo verified");
                } else if (row.samples().stream().anyMatch(s -> s.result().messages() == 0)) {
                    problems.add(o.name() + " " + cell.label() + ": no message in a measured window");
                }
            }
        }
        if (outcomes.values().stream().noneMatch(o -> o.status() == ServerOutcome.Status.RAN)) {
            problems.add("no server ran");
        }
        for (Path p : List.of(json, markdown, chart)) {
            if (!Files.isRegularFile(p)) {
                problems.add(p + " was not written" + (notes.isEmpty() ? "" : ": " + notes));
            }
        }
        return problems;
    }

    private Map<String, Object> toJson(Map<String, Object> machine, Map<String, Object> config, double seconds, boolean last) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("finished", last);
        root.put("durationSeconds", seconds);
        root.put("machine", machine);
        root.put("config", config);
        List<Object> servers = new ArrayList<>();
        for (ServerOutcome o : outcomes.values()) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("name", o.name());
            s.put("status", o.status().toString().toLowerCase(Locale.ROOT));
            s.put("reason", o.reason());
            s.put("command", String.join(" ", o.command()));
            s.put("readyLine", o.readyLine());
            servers.add(s);
        }
        root.put("servers", servers);
        List<Object> results = new ArrayList<>();
        for (Row row : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("server", row.server());
            m.put("connections", row.cell().connections());
            m.put("messageSize", row.cell().size());
            m.put("verified", row.verified());
            m.put("serverCpuMicrosPerMessage", row.stat(LoadResult::serverCpuMicrosPerMessage).toMap());
            m.put("throughput", row.stat(LoadResult::throughput).toMap());
            m.put("p50Micros", row.stat(LoadResult::p50Micros).toMap());
            m.put("p99Micros", row.stat(LoadResult::p99Micros).toMap());
            m.put("p999Micros", row.stat(LoadResult::p999Micros).toMap());
            m.put("maxMicros", row.stat(LoadResult::maxMicros).toMap());
            m.put("syscallsPerMessage", row.stat(LoadResult::syscallsPerMessage).toMap());
            m.put("serverCpuPercent", row.stat(LoadResult::serverCpuPercent).toMap());
            m.put("clientCpuPercent", row.stat(LoadResult::clientCpuPercent).toMap());
            m.put("clientSaturated", row.clientSaturated());
            List<Object> runs = new ArrayList<>();
            for (Sample s : row.samples()) {
                Map<String, Object> run = new LinkedHashMap<>();
                run.put("repetition", s.repetition());
                run.put("serverRssKiB", s.serverRssKiB());
                run.putAll(s.result().toMap());
                runs.add(run);
            }
            m.put("runs", runs);
            results.add(m);
        }
        root.put("results", results);
        List<Object> idleResults = new ArrayList<>();
        for (String server : outcomes.keySet()) {
            List<IdleSample> mine = idle.stream().filter(i -> i.server().equals(server)).toList();
            if (mine.isEmpty()) {
                continue;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("server", server);
            m.put("connections", mine.get(0).connections());
            m.put("rssKiBPerConnection", Stat.of(mine.stream().map(IdleSample::kibPerConnection).toList()).toMap());
            m.put("cpuPercent", Stat.of(mine.stream().map(IdleSample::cpuPercent).toList()).toMap());
            List<Object> runs = new ArrayList<>();
            for (IdleSample i : mine) {
                Map<String, Object> run = new LinkedHashMap<>();
                run.put("repetition", i.repetition());
                run.put("rssBeforeKiB", i.rssBeforeKiB());
                run.put("rssAfterKiB", i.rssAfterKiB());
                run.put("cpuPercent", i.cpuPercent());
                runs.add(run);
            }
            m.put("runs", runs);
            idleResults.add(m);
        }
        root.put("idle", idleResults);
        List<Object> fanoutResults = new ArrayList<>();
        for (String server : outcomes.keySet()) {
            List<FanoutSample> mine = fanoutOf(server);
            if (mine.isEmpty()) {
                continue;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("server", server);
            m.put("connections", mine.get(0).result().connections());
            m.put("verified", mine.stream().allMatch(f -> f.result().allVerified()));
            m.put("serverCpuMicrosPerLine", fanoutStat(server, FanoutResult::serverCpuMicrosPerLine).toMap());
            m.put("vsFloor", fanoutVsFloor(server));
            m.put("rssKiBPerConnection", fanoutStat(server, FanoutResult::rssKiBPerConnection).toMap());
            m.put("spreadP50Millis", fanoutStat(server, FanoutResult::spreadP50Millis).toMap());
            m.put("spreadMaxMillis", fanoutStat(server, FanoutResult::spreadMaxMillis).toMap());
            List<Object> runs = new ArrayList<>();
            for (FanoutSample f : mine) {
                Map<String, Object> run = new LinkedHashMap<>();
                run.put("repetition", f.repetition());
                run.put("serverFdLimit", f.serverFdLimit());
                run.putAll(f.result().toMap());
                runs.add(run);
            }
            m.put("runs", runs);
            fanoutResults.add(m);
        }
        root.put("fanout", fanoutResults);
        List<Object> goalResults = new ArrayList<>();
        for (Goal g : goals()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("server", g.server());
            m.put("goal", g.what());
            m.put("value", g.value());
            m.put("limit", g.limit());
            m.put("met", g.met());
            m.put("line", g.line());
            goalResults.add(m);
        }
        root.put("goals", goalResults);
        root.put("notes", notes);
        return root;
    }

    private String toMarkdown(Map<String, Object> machine, Map<String, Object> config, double seconds) {
        StringBuilder md = new StringBuilder();
        md.append("# oneloop echo-server comparison\n\n");
        md.append(String.format(Locale.ROOT, "- machine: %s, %s CPUs online, %s, %s%n", machine.get("cpu"), machine.get("onlineCpus"),
                machine.get("kernel"), machine.get("java")));
        md.append("- ").append(machine.get("pinning")).append('\n');
        md.append(String.format(Locale.ROOT, "- workload: %s; %s warm-up, %s measured, %s with the syscall counter (%s); "
                        + "status broadcast every %s; %s repetition(s), servers rotated; took %.0f s%n",
                config.get("loop"), config.get("warmup"), config.get("measure"), config.get("syscallWindow"), config.get("syscallCounter"),
                config.get("statusInterval"), config.get("repetitions"), seconds));
        md.append("- command: `").append(config.get("command")).append("`\n");
        md.append("- git commit: ").append(machine.get("gitCommit")).append(", date: ").append(machine.get("date")).append("\n\n");
        md.append("Figures are medians over the repetitions, with min–max. **Server CPU per message** (user + system time of every "
                + "server thread from /proc/PID/stat over the measured window, divided by the echoes completed in it) is the headline: "
                + "throughput on a 2-CPU machine mostly measures the client. *vs floor*: server CPU per message divided by that of the "
                + "C floor of the same model (c-iouring for io_uring servers, c-epoll for the others). A `*` marks runs where the load "
                + "generator used ≥ 90% of its CPU, so it, not the server, set the pace.\n\n");
        md.append(markdownTable());
        if (!idle.isEmpty()) {
            md.append(String.format(Locale.ROOT, "%n## Idle connections%n%nEach server start: %d connections opened and left idle; resident memory "
                    + "(VmRSS) growth per connection once accepted, and server CPU (every thread's schedstat run time) over %s while they send nothing (the status "
                    + "broadcast goes on). JVM figures include heap pages first touched then.%n%n", idle.get(0).connections(),
                    config.get("idleWindow")));
            md.append("| server | RSS KiB per idle connection | idle CPU % |\n|---|--:|--:|\n");
            for (String server : outcomes.keySet()) {
                List<IdleSample> mine = idle.stream().filter(i -> i.server().equals(server)).toList();
                if (!mine.isEmpty()) {
                    md.append("| ").append(server).append(" | ")
                            .append(range(Stat.of(mine.stream().map(IdleSample::kibPerConnection).toList()), "%.1f")).append(" | ")
                            .append(range(Stat.of(mine.stream().map(IdleSample::cpuPercent).toList()), "%.2f")).append(" |\n");
                }
            }
        }
        if (!fanout.isEmpty()) {
            md.append(String.format(Locale.ROOT, "%n## Fan-out%n%nEach server start: %,d connections%s each echo one message (verified), then "
                    + "stay idle while the server broadcasts its status line every %s, measured over %s. **Server CPU per line**: user + "
                    + "system time of the server (/proc/PID/stat) over the window, divided by the status lines the connections received "
                    + "in it. **RSS per connection**: the server's VmRSS after the window, every connection still open, minus before the "
                    + "first one, divided by the connections (JVM figures include heap pages touched meanwhile). **Spread**: per broadcast, "
                    + "the time from the first connection receiving its line to the last, *as observed by the client* (one selector "
                    + "thread reading every connection, so its own reading speed is part of it, alike for every server; *client CPU %%* "
                    + "is that thread's process over the window); p50 and max over the window's broadcasts. Every connection must "
                    + "receive each broadcast's line exactly once and whole; *missing / duplicate / cut* counts the lines that were not. "
                    + "Lines carry no tick number, so the client tells broadcasts apart by which connections already have the current "
                    + "one's line: when broadcasts overlap (one takes longer than the interval, or the server's timer catches up on late "
                    + "ticks), late lines count as missing.%n%n",
                    fanout.get(0).result().connections(), config.get("fanoutLimit") == null ? "" : " (" + config.get("fanoutLimit") + ")",
                    config.get("statusInterval"), config.get("fanoutWindow")));
            md.append(fanoutTable());
            md.append("\n## Goals\n\n");
            List<Goal> goals = goals();
            if (goals.isEmpty()) {
                md.append("- no oneloop server measured in the fan-out\n");
            }
            goals.forEach(g -> md.append("- ").append(g.line()).append('\n'));
        }
        List<ServerOutcome> notRun = outcomes.values().stream().filter(o -> o.status() != ServerOutcome.Status.RAN).toList();
        if (!notRun.isEmpty()) {
            md.append("\n## Not measured\n\n");
            for (ServerOutcome o : notRun) {
                md.append("- ").append(o.name()).append(" (").append(o.status().toString().toLowerCase(Locale.ROOT)).append("): ")
                        .append(o.reason()).append('\n');
            }
        }
        if (!notes.isEmpty()) {
            md.append("\n## Notes\n\n");
            notes.forEach(n -> md.append("- ").append(n).append('\n'));
        }
        if (Files.isRegularFile(chart) || notes.isEmpty()) {
            md.append("\n![server CPU per message and throughput](").append(chart.getFileName()).append(")\n");
        }
        return md.toString();
    }

    String markdownTable() {
        StringBuilder md = new StringBuilder();
        md.append("| workload | server | server CPU µs/msg | vs floor | throughput msg/s | p50 µs | p99 µs | p99.9 µs "
                + "| syscalls/msg | server CPU % | client CPU % | verified |\n");
        md.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|\n");
        for (Row row : rows) {
            Stat cpu = row.stat(LoadResult::serverCpuMicrosPerMessage);
            md.append("| ").append(row.cell().label()).append(" | ").append(row.server()).append(" | ")
                    .append(range(cpu, "%.2f")).append(" | ").append(vsFloor(row, cpu)).append(" | ")
                    .append(range(row.stat(LoadResult::throughput), "%,.0f")).append(" | ")
                    .append(fmt(row.stat(LoadResult::p50Micros).median(), "%.0f")).append(" | ")
                    .append(fmt(row.stat(LoadResult::p99Micros).median(), "%.0f")).append(" | ")
                    .append(fmt(row.stat(LoadResult::p999Micros).median(), "%.0f")).append(" | ")
                    .append(fmt(row.stat(LoadResult::syscallsPerMessage).median(), "%.2f")).append(" | ")
                    .append(fmt(row.stat(LoadResult::serverCpuPercent).median(), "%.0f")).append(" | ")
                    .append(fmt(row.stat(LoadResult::clientCpuPercent).median(), "%.0f")).append(row.clientSaturated() ? "*" : "")
                    .append(" | ").append(row.verified() ? "yes" : "**NO**").append(" |\n");
        }
        return md.toString();
    }

    String fanoutTable() {
        StringBuilder md = new StringBuilder();
        md.append("| server | connections | broadcasts | server CPU µs/line | vs floor | RSS KiB/connection | spread p50 ms | spread max ms "
                + "| client CPU % | missing / duplicate / cut | verified |\n");
        md.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|\n");
        for (String server : outcomes.keySet()) {
            List<FanoutSample> mine = fanoutOf(server);
            if (mine.isEmpty()) {
                continue;
            }
            boolean verified = mine.stream().allMatch(f -> f.result().allVerified());
            md.append("| ").append(server).append(" | ").append(String.format(Locale.ROOT, "%,d", mine.get(0).result().connections()))
                    .append(" | ").append(range(fanoutStat(server, r -> r.ticks()), "%.0f")).append(" | ")
                    .append(range(fanoutStat(server, FanoutResult::serverCpuMicrosPerLine), "%.2f")).append(" | ")
                    .append(fmt(fanoutVsFloor(server), "%.2f×")).append(" | ")
                    .append(range(fanoutStat(server, FanoutResult::rssKiBPerConnection), "%.2f")).append(" | ")
                    .append(range(fanoutStat(server, FanoutResult::spreadP50Millis), "%.1f")).append(" | ")
                    .append(range(fanoutStat(server, FanoutResult::spreadMaxMillis), "%.1f")).append(" | ")
                    .append(fmt(fanoutStat(server, FanoutResult::clientCpuPercent).median(), "%.0f")).append(" | ")
                    .append(mine.stream().mapToLong(f -> f.result().missing()).sum()).append(" / ")
                    .append(mine.stream().mapToLong(f -> f.result().duplicates()).sum()).append(" / ")
                    .append(mine.stream().mapToLong(f -> f.result().partial()).sum()).append(" | ")
                    .append(verified ? "yes" : "**NO**: " + fanoutFailure(mine.stream().filter(f -> !f.result().allVerified())
                            .findFirst().orElseThrow().result()).replace("|", "\\|")).append(" |\n");
        }
        return md.toString();
    }

    /** One line per goal of issue 9 and oneloop server: CPU per status line against its model's C floor, RSS per idle connection. */
    record Goal(String server, String what, double value, double limit, boolean met, String line) {
    }

    static final double CPU_PER_LINE_VS_FLOOR_GOAL = 1.1;
    static final double RSS_KIB_PER_CONNECTION_GOAL = 6.0;

    List<Goal> goals() {
        List<Goal> goals = new ArrayList<>();
        for (String server : outcomes.keySet()) {
            if (!server.startsWith("oneloop") || fanoutOf(server).isEmpty()) {
                continue;
            }
            String floor = floorOf(server);
            double ratio = fanoutVsFloor(server);
            double cpu = fanoutStat(server, FanoutResult::serverCpuMicrosPerLine).median();
            boolean cpuMet = ratio <= CPU_PER_LINE_VS_FLOOR_GOAL;
            goals.add(new Goal(server, "cpuPerLineVsFloor", ratio, CPU_PER_LINE_VS_FLOOR_GOAL, cpuMet, Double.isNaN(ratio)
                    ? String.format(Locale.ROOT, "%s: CPU per status line %s µs, no usable %s figure in this run to compare with (goal ≤ %.1f× %s): not checked",
                            server, fmt(cpu, "%.2f"), floor, CPU_PER_LINE_VS_FLOOR_GOAL, floor)
                    : String.format(Locale.ROOT, "%s: CPU per status line %.2f µs = %.2f× %s's %.2f µs (goal ≤ %.1f×): %s", server, cpu, ratio,
                            floor, fanoutStat(floor, FanoutResult::serverCpuMicrosPerLine).median(), CPU_PER_LINE_VS_FLOOR_GOAL,
                            cpuMet ? "met" : "**not met**")));
            double rss = fanoutStat(server, FanoutResult::rssKiBPerConnection).median();
            boolean rssMet = rss <= RSS_KIB_PER_CONNECTION_GOAL;
            double floorRss = fanoutStat("c-epoll", FanoutResult::rssKiBPerConnection).median();
            goals.add(new Goal(server, "rssKiBPerIdleConnection", rss, RSS_KIB_PER_CONNECTION_GOAL, rssMet, String.format(Locale.ROOT,
                    "%s: RSS per idle connection %s KiB (goal ≤ %.0f KiB; c-epoll: %s KiB): %s", server, fmt(rss, "%.2f"),
                    RSS_KIB_PER_CONNECTION_GOAL, fmt(floorRss, "%.2f"), Double.isNaN(rss) ? "not measured" : rssMet ? "met" : "**not met**")));
        }
        return goals;
    }

    private List<FanoutSample> fanoutOf(String server) {
        return fanout.stream().filter(f -> f.server().equals(server)).sorted(Comparator.comparingInt(FanoutSample::repetition)).toList();
    }

    private Stat fanoutStat(String server, ToDoubleFunction<FanoutResult> f) {
        return Stat.of(fanoutOf(server).stream().map(x -> f.applyAsDouble(x.result())).toList());
    }

    /**
     * Median CPU per status line divided by that of the server's C floor; NaN for a floor, without
     * one, or when the floor's window held no CPU tick (10 ms) to divide by.
     */
    private double fanoutVsFloor(String server) {
        double floor = fanoutStat(floorOf(server), FanoutResult::serverCpuMicrosPerLine).median();
        if (server.startsWith("c-") || !(floor > 0)) {
            return Double.NaN;
        }
        return fanoutStat(server, FanoutResult::serverCpuMicrosPerLine).median() / floor;
    }

    private static String floorOf(String server) {
        return server.contains("iouring") ? "c-iouring" : "c-epoll";
    }

    private static String fanoutFailure(FanoutResult r) {
        return String.format(Locale.ROOT, "%d of %d echoed, %d broadcasts, %d missing, %d duplicate, %d cut, %d connections failed%s",
                r.echoesVerified(), r.connections(), r.ticks(), r.missing(), r.duplicates(), r.partial(), r.failedConnections(),
                r.errors().isEmpty() ? "" : ": " + String.join("; ", r.errors()));
    }

    private String vsFloor(Row row, Stat cpu) {
        String floor = floorOf(row.server());
        if (row.server().equals(floor) || row.server().startsWith("c-")) {
            return "";
        }
        return rows.stream().filter(r -> r.server().equals(floor) && r.cell().equals(row.cell())).findFirst()
                .map(r -> fmt(cpu.median() / r.stat(LoadResult::serverCpuMicrosPerMessage).median(), "%.2f×")).orElse("");
    }

    private static String range(Stat s, String format) {
        if (s.n() == 0) {
            return "–";
        }
        String median = fmt(s.median(), format);
        return s.n() == 1 ? median : median + " (" + fmt(s.min(), format) + "–" + fmt(s.max(), format) + ")";
    }

    private static String fmt(double v, String format) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "–" : String.format(Locale.ROOT, format, v);
    }
}
