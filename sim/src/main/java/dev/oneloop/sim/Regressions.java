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
    );

    private Regressions() {
    }
}
