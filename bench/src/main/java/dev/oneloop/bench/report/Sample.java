package dev.oneloop.bench.report;

import dev.oneloop.bench.load.LoadResult;

/** One measured run: a server, a repetition, a workload and what the load generator measured. */
record Sample(String server, int repetition, Cell cell, LoadResult result, long serverRssKiB) {
}
