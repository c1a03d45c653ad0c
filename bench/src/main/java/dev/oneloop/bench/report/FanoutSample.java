package dev.oneloop.bench.report;

import dev.oneloop.bench.load.FanoutResult;

/** One fan-out measurement of a server start, with the open-files limit the server ran with (-1 if unknown). */
record FanoutSample(String server, int repetition, FanoutResult result, long serverFdLimit) {
}
