package dev.oneloop.sim;

import java.util.SplittableRandom;

/**
 * Which faults one seed injects and how often: each kind is switched on or off per seed and its
 * rate drawn from the seed (swarm testing: a run with few kinds on explores their interactions
 * deeper than a run with everything at once).
 *
 * @param splitReads       receives end at a random point instead of taking all that arrived
 * @param smallBuffers     kernel buffers of random small sizes: partial writes, slow readers stall the server
 * @param smallBufferMax   largest such buffer
 * @param latency          per-connection base latency and a long tail that stalls a connection
 * @param baseLatencyMaxNanos largest base latency
 * @param tailRate         chance that a send is delayed by up to {@code tailMaxNanos}
 * @param tailMaxNanos     longest stall
 * @param resets           the network resets random connections at random moments
 * @param resetsPerSecond  rate of those resets
 * @param emfile           accepting fails at random with EMFILE
 * @param emfileRate       chance per accepted connection
 * @param earlyPolls       poll returns early, before its timeout, with nothing delivered
 * @param earlyRate        chance per poll
 * @param pauses           poll returns late by up to several status intervals (GC or VM pause)
 * @param pauseRate        chance per poll
 * @param pauseMaxNanos    longest pause
 */
public record Faults(
        boolean splitReads, double splitRate,
        boolean smallBuffers, int smallBufferMax,
        boolean latency, long baseLatencyMaxNanos, double tailRate, long tailMaxNanos,
        boolean resets, double resetsPerSecond,
        boolean emfile, double emfileRate,
        boolean earlyPolls, double earlyRate,
        boolean pauses, double pauseRate, long pauseMaxNanos) {

    public static final Faults NONE = new Faults(false, 0, false, 1, false, 0, 0, 1, false, 0, false, 0, false, 0, false, 0, 1);

    /** Draws the switches and rates of one seed; {@code statusIntervalNanos} scales the pauses. */
    public static Faults draw(SplittableRandom random, long statusIntervalNanos) {
        return new Faults(
                random.nextBoolean(), 0.1 + 0.9 * random.nextDouble(),
                random.nextBoolean(), 1 + random.nextInt(64 * 1024),
                random.nextBoolean(), 1 + random.nextLong(5_000_000), random.nextDouble() * 0.05, 1 + random.nextLong(3_000_000_000L),
                random.nextBoolean(), random.nextDouble() * 2,
                random.nextBoolean(), random.nextDouble() * 0.3,
                random.nextBoolean(), random.nextDouble() * 0.2,
                random.nextBoolean(), random.nextDouble() * 0.02, 1 + random.nextLong(4 * statusIntervalNanos));
    }

    /** The switches that are on, for a failure banner: {@code split-reads(0.42) resets(1.3/s) ...}. */
    public String describe() {
        StringBuilder s = new StringBuilder();
        if (splitReads) {
            s.append(String.format("split-reads(%.2f) ", splitRate));
        }
        if (smallBuffers) {
            s.append("small-buffers(<=").append(smallBufferMax).append("B) ");
        }
        if (latency) {
            s.append(String.format("latency(base<=%dus, tail %.3f<=%dms) ", baseLatencyMaxNanos / 1000, tailRate, tailMaxNanos / 1_000_000));
        }
        if (resets) {
            s.append(String.format("resets(%.2f/s) ", resetsPerSecond));
        }
        if (emfile) {
            s.append(String.format("emfile(%.2f) ", emfileRate));
        }
        if (earlyPolls) {
            s.append(String.format("early-polls(%.2f) ", earlyRate));
        }
        if (pauses) {
            s.append(String.format("pauses(%.3f<=%dms) ", pauseRate, pauseMaxNanos / 1_000_000));
        }
        return s.isEmpty() ? "none" : s.toString().trim();
    }
}
