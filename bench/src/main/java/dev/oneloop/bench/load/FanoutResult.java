package dev.oneloop.bench.load;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one fan-out run measured.
 *
 * @param connections       connections asked for
 * @param open              connections that were open and sound at the end
 * @param echoesVerified    connections whose one echo came back intact
 * @param ticks             broadcasts whose first line arrived inside the window
 * @param lines             status lines received in those ticks, at most one per connection and tick
 * @param missing           lines of those ticks that a sound connection never received
 * @param duplicates        second lines a connection received within one tick
 * @param partial           lines of the window's last tick that began but never ended
 * @param failedConnections connections closed for a wrong byte, a malformed line, a reset or EOF
 * @param windowSeconds     from the window's start until the last tick's lines were in
 * @param serverCpuSeconds  the server's user + system time (/proc/PID/stat) over that time, NaN if unknown
 * @param clientCpuSeconds  the same of this process, the load generator
 * @param rssBeforeKiB      the server's VmRSS before the first connection, -1 if unknown
 * @param rssConnectedKiB   after every connection echoed and the server settled
 * @param rssEndKiB         after the window: every connection open, the broadcasts done
 * @param connectSeconds    opening the connections and verifying their echoes
 * @param spreadsMillis     per measured tick, first to last connection receiving its line, as seen by the client
 * @param errors            the first few problems, each naming its connection
 */
public record FanoutResult(int connections, int open, int echoesVerified, int ticks, long lines, long missing, long duplicates,
        long partial, long failedConnections, double windowSeconds, double serverCpuSeconds, double clientCpuSeconds, long rssBeforeKiB,
        long rssConnectedKiB, long rssEndKiB, double connectSeconds, double[] spreadsMillis, List<String> errors) {

    /** Every connection echoed, got every tick's line exactly once and whole, and at least one tick was measured. */
    public boolean allVerified() {
        return errors.isEmpty() && failedConnections == 0 && missing == 0 && duplicates == 0 && partial == 0 && ticks > 0
                && echoesVerified == connections;
    }

    /** This result with one more error (something the run itself could not see, such as the server's exit). */
    public FanoutResult withError(String error) {
        List<String> more = new ArrayList<>(errors);
        more.add(error);
        return new FanoutResult(connections, open, echoesVerified, ticks, lines, missing, duplicates, partial, failedConnections,
                windowSeconds, serverCpuSeconds, clientCpuSeconds, rssBeforeKiB, rssConnectedKiB, rssEndKiB, connectSeconds, spreadsMillis,
                List.copyOf(more));
    }

    public double clientCpuPercent() {
        return windowSeconds > 0 ? clientCpuSeconds * 100 / windowSeconds : Double.NaN;
    }

    public double serverCpuMicrosPerLine() {
        return lines > 0 ? serverCpuSeconds * 1e6 / lines : Double.NaN;
    }

    /** The server's RSS growth per connection, with every connection open after the window's broadcasts. */
    public double rssKiBPerConnection() {
        return rssBeforeKiB < 0 || rssEndKiB < 0 ? Double.NaN : (rssEndKiB - rssBeforeKiB) / (double) connections;
    }

    public double spreadP50Millis() {
        return percentile(50);
    }

    public double spreadMaxMillis() {
        return percentile(100);
    }

    /** Nearest-rank percentile of the ticks' spreads; NaN without a tick. */
    double percentile(double p) {
        if (spreadsMillis.length == 0) {
            return Double.NaN;
        }
        double[] sorted = spreadsMillis.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("connections", connections);
        m.put("open", open);
        m.put("echoesVerified", echoesVerified);
        m.put("ticks", ticks);
        m.put("lines", lines);
        m.put("missing", missing);
        m.put("duplicates", duplicates);
        m.put("partial", partial);
        m.put("failedConnections", failedConnections);
        m.put("windowSeconds", windowSeconds);
        m.put("serverCpuSeconds", serverCpuSeconds);
        m.put("serverCpuMicrosPerLine", serverCpuMicrosPerLine());
        m.put("clientCpuSeconds", clientCpuSeconds);
        m.put("clientCpuPercent", clientCpuPercent());
        m.put("rssBeforeKiB", rssBeforeKiB);
        m.put("rssConnectedKiB", rssConnectedKiB);
        m.put("rssEndKiB", rssEndKiB);
        m.put("rssKiBPerConnection", rssKiBPerConnection());
        m.put("connectSeconds", connectSeconds);
        m.put("spreadP50Millis", spreadP50Millis());
        m.put("spreadMaxMillis", spreadMaxMillis());
        m.put("spreadsMillis", Arrays.stream(spreadsMillis).boxed().toList());
        m.put("allVerified", allVerified());
        m.put("errors", errors);
        return m;
    }
}
