package dev.oneloop.bench.load;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one run measured. Per-message figures divide by the echoes completed in the same window.
 *
 * @param windowSeconds          length of the measured window
 * @param messages               echoes completed (and verified) in the measured window
 * @param throughput             messages per second in the measured window
 * @param p50Micros              latency percentiles of the window's echoes, send to last echoed byte
 * @param serverCpuSeconds       user + system time of every server thread in the window (NaN if unknown)
 * @param serverCpuMicrosPerMessage the headline: server CPU per echoed message
 * @param serverCpuPercent       server CPU in % of one core
 * @param clientCpuPercent       the load generator's own CPU in % of one core: near 100 means the client set the pace
 * @param syscalls               counts over the syscall window, or null when not counted
 * @param syscallWindowMessages  echoes completed while syscalls were counted
 * @param completedTotal         echoes completed over the whole run, every one verified byte for byte
 * @param statusLines            status lines received and checked over the whole run
 * @param failedConnections      connections that failed (a wrong byte, a reset, an early close)
 * @param unfinished             echoes still outstanding when the drain deadline passed
 * @param skipped                at a fixed rate: messages not sent because a connection had too many outstanding
 * @param errors                 the first errors seen, for the report
 */
public record LoadResult(
        double windowSeconds,
        long messages,
        double throughput,
        double p50Micros,
        double p99Micros,
        double p999Micros,
        double maxMicros,
        double serverCpuSeconds,
        double serverCpuMicrosPerMessage,
        double serverCpuPercent,
        double clientCpuPercent,
        SyscallCounter.Counts syscalls,
        long syscallWindowMessages,
        long completedTotal,
        long statusLines,
        long failedConnections,
        long unfinished,
        long skipped,
        List<String> errors) {

    /** The fields by name, in order, for JSON. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("windowSeconds", windowSeconds);
        m.put("messages", messages);
        m.put("throughput", throughput);
        Map<String, Object> latency = new LinkedHashMap<>();
        latency.put("p50", p50Micros);
        latency.put("p99", p99Micros);
        latency.put("p99.9", p999Micros);
        latency.put("max", maxMicros);
        m.put("latencyMicros", latency);
        m.put("serverCpuSeconds", serverCpuSeconds);
        m.put("serverCpuMicrosPerMessage", serverCpuMicrosPerMessage);
        m.put("serverCpuPercent", serverCpuPercent);
        m.put("clientCpuPercent", clientCpuPercent);
        m.put("clientSaturated", clientSaturated());
        if (syscalls != null) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("method", syscalls.method());
            s.put("messages", syscallWindowMessages);
            s.put("total", syscalls.total());
            s.put("perMessage", syscallsPerMessage());
            s.put("byCall", syscalls.byCall());
            m.put("syscalls", s);
        }
        m.put("completedTotal", completedTotal);
        m.put("statusLines", statusLines);
        m.put("failedConnections", failedConnections);
        m.put("unfinished", unfinished);
        m.put("skipped", skipped);
        m.put("allVerified", allVerified());
        m.put("errors", errors);
        return m;
    }

    /** Every echo arrived complete and identical to what was sent, and every status line was well formed. */
    public boolean allVerified() {
        return errors.isEmpty() && failedConnections == 0 && unfinished == 0 && completedTotal > 0;
    }

    public double syscallsPerMessage() {
        return syscalls == null || syscallWindowMessages == 0 ? Double.NaN : (double) syscalls.total() / syscallWindowMessages;
    }

    /** Client CPU this close to one full core means the client, not the server, limited throughput. */
    public boolean clientSaturated() {
        return clientCpuPercent >= 90;
    }
}
