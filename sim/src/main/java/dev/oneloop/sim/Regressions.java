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
            // These seeds each caught a bug planted in a scratch copy of the server (sim/README.md, "Planted bugs");
            // they keep catching that class of bug.
            new Seed(1, "planted: broadcast skipping one connection; a watermark that never pauses reading"),
            new Seed(4, "planted: accept re-armed at once after EMFILE, ignoring the back-off"),
            new Seed(14, "planted: half-close closing with output still queued"),
            new Seed(17, "planted: a chunk returned to the pool while a closed connection's write was in flight"),
            new Seed(3, "planted, after the fan-out rewrite: half-close closing with output still queued"),
            new Seed(357, "planted, after the fan-out rewrite: a chunk returned to the pool while a closed connection's write"
                    + " was in flight"));

    private Regressions() {
    }
}
