package dev.oneloop.bench.report;

import java.util.List;

/**
 * What became of one server of the list: it ran, it was skipped (a missing jar or binary, said why),
 * or it failed (it did not start, died, or an echo was wrong).
 */
record ServerOutcome(String name, Status status, String reason, List<String> command, String readyLine) {

    enum Status { RAN, SKIPPED, FAILED }

    static ServerOutcome skipped(String name, String reason, List<String> command) {
        return new ServerOutcome(name, Status.SKIPPED, reason, command, null);
    }
}
