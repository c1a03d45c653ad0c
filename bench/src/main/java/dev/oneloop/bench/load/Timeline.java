package dev.oneloop.bench.load;

/** The phases of one run in {@link System#nanoTime()} terms, shared by the client threads and the coordinator. */
record Timeline(long start, long recordFrom, long recordUntil, long stopSending, long drainDeadline) {

    static Timeline of(long start, LoadSpec spec) {
        long recordFrom = start + spec.warmup().toNanos();
        long recordUntil = recordFrom + spec.measure().toNanos();
        long stopSending = recordUntil + spec.syscallWindow().toNanos();
        return new Timeline(start, recordFrom, recordUntil, stopSending, stopSending + spec.drainTimeout().toNanos());
    }
}
