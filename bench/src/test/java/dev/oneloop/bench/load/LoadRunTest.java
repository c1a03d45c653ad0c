package dev.oneloop.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoadRunTest {

    private static LoadResult run(InetSocketAddress target, int connections, int size, long rate) throws Exception {
        LoadSpec spec = new LoadSpec(target, connections, size, rate, Duration.ofMillis(100), Duration.ofMillis(300),
                Duration.ZERO, Duration.ofSeconds(5), 1, 64);
        return new LoadRun(spec, -1, SyscallCounter.Method.NONE, line -> { }).run();
    }

    @Test
    void verifiesEveryEchoWhileStatusLinesArriveInsideEchoes() throws Exception {
        try (ScriptedEchoServer server = new ScriptedEchoServer(ScriptedEchoServer.Mode.STATUS_LINES_INSIDE_ECHOES)) {
            LoadResult r = run(server.address(), 4, 1000, 0);

            assertThat(r.errors()).isEmpty();
            assertThat(r.allVerified()).isTrue();
            assertThat(r.messages()).isPositive();
            assertThat(r.statusLines()).isGreaterThanOrEqualTo(r.completedTotal());
            assertThat(r.p50Micros()).isPositive();
        }
    }

    @Test
    void reportsAWrongByteWithTheMessageAndOffset() throws Exception {
        try (ScriptedEchoServer server = new ScriptedEchoServer(ScriptedEchoServer.Mode.CORRUPT_ONE_BYTE)) {
            LoadResult r = run(server.address(), 2, 100, 0);

            assertThat(r.allVerified()).isFalse();
            assertThat(r.failedConnections()).isEqualTo(2);
            assertThat(r.errors()).anySatisfy(e -> assertThat(e).contains("echo of message 49 differs at byte 99"));
        }
    }

    @Test
    void rejectsALineThatIsNotAStatusLine() throws Exception {
        try (ScriptedEchoServer server = new ScriptedEchoServer(ScriptedEchoServer.Mode.MALFORMED_STATUS_LINE)) {
            LoadResult r = run(server.address(), 1, 64, 0);

            assertThat(r.allVerified()).isFalse();
            assertThat(r.errors()).anySatisfy(e -> assertThat(e).contains("malformed status line: Server status: many"));
        }
    }

    @Test
    void keepsAFixedRateWithSeveralMessagesInFlightPerConnection() throws Exception {
        try (ScriptedEchoServer server = new ScriptedEchoServer(ScriptedEchoServer.Mode.STATUS_LINES_INSIDE_ECHOES)) {
            LoadResult r = run(server.address(), 2, 200, 2_000);

            assertThat(r.errors()).isEmpty();
            assertThat(r.allVerified()).isTrue();
            // 0.4 s of sending at 2000/s; generous bounds, the machine is shared.
            assertThat(r.completedTotal()).isBetween(200L, 1_000L);
        }
    }

    @Test
    void recognisesOnlyWellFormedStatusLines() {
        assertThat(isStatus("Server status: 0 active connections\n")).isTrue();
        assertThat(isStatus("Server status: 12345 active connections\n")).isTrue();
        assertThat(isStatus("Server status:  active connections\n")).isFalse();
        assertThat(isStatus("Server status: 1 active connection\n")).isFalse();
        assertThat(isStatus("Server Status: 1 active connections\n")).isFalse();
    }

    private static boolean isStatus(String line) {
        byte[] b = line.getBytes(StandardCharsets.US_ASCII);
        return ClientLoop.isStatusLine(b, b.length);
    }
}
