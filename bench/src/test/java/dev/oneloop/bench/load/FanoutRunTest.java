package dev.oneloop.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FanoutRunTest {

    // Long enough that a busy machine's scheduling delays stay well below half of it.
    private static final long INTERVAL_MILLIS = 400;

    private static FanoutResult run(ScriptedBroadcastServer.Mode mode, int connections, long spreadMillis) throws Exception {
        try (ScriptedBroadcastServer server = new ScriptedBroadcastServer(mode, connections, INTERVAL_MILLIS, spreadMillis)) {
            return new FanoutRun(server.address(), connections, Duration.ofMillis(1600), Duration.ofMillis(INTERVAL_MILLIS), -1, Duration.ofMillis(100)).run();
        }
    }

    @Test
    void countsEveryTicksLineOnceOnEveryConnectionAndMeasuresTheSpread() throws Exception {
        // More connections than one batch, so the batched connect is exercised too.
        int connections = FanoutRun.BATCH + 100;
        FanoutResult r = run(ScriptedBroadcastServer.Mode.CORRECT, connections, 40);

        assertThat(r.errors()).isEmpty();
        assertThat(r.allVerified()).isTrue();
        assertThat(r.echoesVerified()).isEqualTo(connections);
        assertThat(r.ticks()).isBetween(3, 5); // 1.6 s at 400 ms
        assertThat(r.lines()).isEqualTo((long) r.ticks() * connections);
        assertThat(r.missing()).isZero();
        assertThat(r.spreadsMillis()).hasSize(r.ticks());
        assertThat(Arrays.stream(r.spreadsMillis()).min().orElseThrow()).isGreaterThanOrEqualTo(40);
        assertThat(r.spreadP50Millis()).isBetween(40.0, 150.0);
        assertThat(r.serverCpuMicrosPerLine()).isNaN(); // no server process given
    }

    @Test
    void toleratesABroadcastSlowerThanHalfTheInterval() throws Exception {
        FanoutResult r = run(ScriptedBroadcastServer.Mode.CORRECT, 40, 250);

        assertThat(r.errors()).isEmpty();
        assertThat(r.allVerified()).isTrue();
        assertThat(r.spreadP50Millis()).isBetween(250.0, 300.0);
    }

    @Test
    void reportsAConnectionThatMissesATick() throws Exception {
        FanoutResult r = run(ScriptedBroadcastServer.Mode.MISSES_A_TICK, 20, 0);

        assertThat(r.allVerified()).isFalse();
        assertThat(r.missing()).isEqualTo(1);
        assertThat(r.lines()).isEqualTo((long) r.ticks() * 20 - 1);
        assertThat(r.errors()).singleElement().asString().startsWith("connection 3: no status line in broadcast ");
    }

    @Test
    void reportsASecondLineInOneTick() throws Exception {
        FanoutResult r = run(ScriptedBroadcastServer.Mode.DUPLICATES_A_LINE, 20, 0);

        assertThat(r.allVerified()).isFalse();
        assertThat(r.duplicates()).isEqualTo(1);
        assertThat(r.missing()).isZero();
        assertThat(r.errors()).singleElement().asString().startsWith("connection 3: a second status line ");
    }

    @Test
    void reportsALineCutShort() throws Exception {
        FanoutResult r = run(ScriptedBroadcastServer.Mode.PARTIAL_LINE, 20, 0);

        assertThat(r.allVerified()).isFalse();
        assertThat(r.failedConnections()).isEqualTo(1);
        assertThat(r.errors()).singleElement().asString()
                .isEqualTo("connection 3: malformed or partial status line: got 'S' where a digit belongs");
    }

    @Test
    void reportsARefusedConnection() throws Exception {
        InetSocketAddress closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = (InetSocketAddress) s.getLocalSocketAddress();
        }
        FanoutResult r = new FanoutRun(closed, 3, Duration.ofMillis(500), Duration.ofMillis(INTERVAL_MILLIS), -1, Duration.ofMillis(100)).run();

        assertThat(r.allVerified()).isFalse();
        assertThat(r.ticks()).isZero();
        assertThat(r.errors()).singleElement().asString().startsWith("connection 1 of 3 to ");
    }

    @Test
    void spreadPercentilesAreNearestRank() {
        FanoutResult r = new FanoutResult(1, 1, 1, 4, 4, 0, 0, 0, 0, 1, Double.NaN, Double.NaN, -1, -1, -1, 0,
                new double[] {9, 1, 3, 2}, List.of());

        assertThat(r.spreadP50Millis()).isEqualTo(2);
        assertThat(r.spreadMaxMillis()).isEqualTo(9);
        assertThat(r.rssKiBPerConnection()).isNaN();
    }

    @Test
    void echoRequestsNameTheirConnectionAndNeverContainAnS() {
        StringBuilder sb = new StringBuilder();
        for (int j = 0; j < 16; j++) {
            sb.append((char) FanoutRun.pingByte(1234, j));
        }
        assertThat(sb).hasToString("ping00000001234\n");
    }
}
