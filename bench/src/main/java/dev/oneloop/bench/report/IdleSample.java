package dev.oneloop.bench.report;

/**
 * A server holding {@code connections} open, idle connections: its resident memory before and
 * after they were accepted, and its CPU over a window in which they sent nothing (the status
 * broadcast still runs).
 */
record IdleSample(String server, int repetition, int connections, long rssBeforeKiB, long rssAfterKiB, double cpuPercent) {

    double kibPerConnection() {
        return rssBeforeKiB < 0 || rssAfterKiB < 0 ? Double.NaN : (rssAfterKiB - rssBeforeKiB) / (double) connections;
    }
}
