package dev.oneloop.sim;

import java.util.List;

/**
 * Seeds that once failed, kept so that every build replays them (the JUnit test and
 * {@code --regressions}). Each names what it found.
 */
public final class Regressions {

    /** A kept seed and the bug it caught. */
    public record Seed(long seed, String found) {
    }

    public static final List<Seed> SEEDS = List.of(
            new Seed(26, "EchoServer threw ArrayIndexOutOfBoundsException in openConnection when the backend was opened"
                    + " with more handles than config.backendConfig() (its slot table was sized once, from the config)"),
            new Seed(15, "EchoServer closed an idle connection up to one scan period before --idle-timeout: a read delivered"
                    + " while the idle scan was overdue got the old tick, and the scan advanced the tick before checking"),
            new Seed(104931, "the simulator's own model: a connection idle by time but not yet by the server's coarse ticks,"
                    + " closed by a broadcast that pushed it past maxBacklog, was counted as closed by the idle scan before"
                    + " the tick, so the model expected N one lower than the status line's (Invariants now follows the ticks)"),
            // The first seed that catches each bug of sim/planted/ (sim/planted/hunt, seeds 1..2000; sim/README.md,
            // "Planted bugs"), among them the two real bugs above planted again: they keep catching that class of bug.
            new Seed(1, "planted: broadcast-skips-one; watermark-never-pauses; line-into-chunk-in-flight"),
            new Seed(3, "planted: half-close-drops-output"),
            new Seed(14, "planted: half-close-drops-output (its first seed with an earlier event order)"),
            new Seed(4, "planted: accept-ignores-backoff"),
            new Seed(357, "planted: chunk-reused-in-flight (the only seed of 1..2000 that catches it)"));

    private Regressions() {
    }
}
