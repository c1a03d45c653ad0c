package dev.oneloop.examples.resp;

import static dev.oneloop.examples.resp.RespClient.bytes;
import static dev.oneloop.examples.resp.RespClient.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The echo server's guarantees, kept by the RESP server on every backend, over real loopback sockets. */
@Timeout(60)
class RespServerTest {

    private static final RespConfig SMALL_LIMITS = RespConfig.DEFAULTS.withLimits(64 << 10, 16 << 10, 256 << 10, 128 << 10, 32 << 10);

    private static String get(String key) {
        return "*2\r\n$3\r\nGET\r\n$" + key.length() + "\r\n" + key + "\r\n";
    }

    private static String set(String key, String value) {
        return "*3\r\n$3\r\nSET\r\n$" + key.length() + "\r\n" + key + "\r\n$" + value.length() + "\r\n" + value + "\r\n";
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.oneloop.examples.resp.Backends#names")
    void answersAPipelineOfThousandsInOrder(String backend) throws Exception {
        try (RespServerThread server = Backends.start(backend, RespConfig.DEFAULTS);
                RespClient client = new RespClient(server.address())) {
            StringBuilder requests = new StringBuilder();
            StringBuilder replies = new StringBuilder();
            for (int i = 0; i < 5_000; i++) {
                String key = "key:" + (i % 100);
                requests.append(set(key, "v" + i)).append(get(key)).append("INCR counter\r\n");
                replies.append("+OK\r\n$").append(("v" + i).length()).append("\r\nv").append(i).append("\r\n:").append(i + 1).append("\r\n");
            }
            client.send(requests.toString());
            assertThat(client.read(replies.toString())).isEqualTo(replies.toString());
            assertThat(client.roundTrip("DBSIZE\r\n", ":101\r\n")).isEqualTo(":101\r\n");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.oneloop.examples.resp.Backends#names")
    void answersEverythingAfterPeerHalfClosesThenCloses(String backend) throws Exception {
        try (RespServerThread server = Backends.start(backend, RespConfig.DEFAULTS);
                RespClient client = new RespClient(server.address())) {
            String value = "x".repeat(100_000);
            client.send(set("big", value) + get("big").repeat(20) + "*2\r\n$3\r\nGET\r\n$3\r\nbi"); // the last request is cut short
            client.shutdownOutput();
            String reply = "$" + value.length() + "\r\n" + value + "\r\n";
            assertThat(text(client.readToEof())).isEqualTo("+OK\r\n" + reply.repeat(20));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.oneloop.examples.resp.Backends#names")
    void expiresKeysOnAccessAndBySweepingWithoutAccess(String backend) throws Exception {
        try (RespServerThread server = Backends.start(backend, RespConfig.DEFAULTS);
                RespClient client = new RespClient(server.address())) {
            StringBuilder sets = new StringBuilder();
            for (int i = 0; i < 200; i++) {
                sets.append("SET t").append(i).append(" v PX 50\r\n");
            }
            client.send(sets.toString() + "SET kept v\r\nSET soon v EX 100\r\nSET gone v PX 30\r\n");
            client.read("+OK\r\n".repeat(203));
            Thread.sleep(60);
            assertThat(client.roundTrip("GET gone\r\n", "$-1\r\n")).isEqualTo("$-1\r\n");
            // No one asks for t0..t199 again: the sweep on the loop's timer deletes them.
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                    .until(() -> client.line("DBSIZE\r\n").equals(":2\r\n"));
            assertThat(client.roundTrip("GET soon\r\n", "$1\r\nv\r\n")).isEqualTo("$1\r\nv\r\n");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.oneloop.examples.resp.Backends#names")
    void pausesAClientThatPipelinesWithoutReadingAndKeepsServingOthers(String backend) throws Exception {
        try (RespServerThread server = Backends.start(backend, SMALL_LIMITS);
                RespClient greedy = new RespClient(server.address());
                RespClient other = new RespClient(server.address())) {
            // Small replies, so that one read's worth of requests stays under the backlog limit: this client is paused, not cut off.
            greedy.roundTrip(set("v", "y".repeat(10)), "+OK\r\n");
            // Write GETs until TCP pushes back (the server stopped reading), never reading a reply.
            byte[] burst = bytes(get("v").repeat(100));
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < 20_000; i++) {
                        greedy.send(burst);
                    }
                } catch (IOException expected) {
                    // the socket is closed at the end of the test
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> server.server().maxQueuedBytesSeen() > SMALL_LIMITS.highWatermark());
            Thread.sleep(200);
            for (int i = 0; i < 50; i++) {
                assertThat(other.roundTrip("PING\r\n", "+PONG\r\n")).isEqualTo("+PONG\r\n");
            }
            // Paused, not growing: the queue stays within what one read's replies can add above the high watermark.
            assertThat(server.server().maxQueuedBytesSeen()).isLessThanOrEqualTo(SMALL_LIMITS.maxBacklog());
            assertThat(server.server().maxInputBytesSeen()).isLessThanOrEqualTo(SMALL_LIMITS.maxQueryBuffer());
            assertThat(server.server().closedOverLimit()).isZero();
            assertThat(server.server().activeConnections()).isEqualTo(2);
            greedy.reset();
            writer.join(10_000);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.oneloop.examples.resp.Backends#names")
    void cutsOffAClientWhoseRepliesToOneReadPassTheBacklogLimit(String backend) throws Exception {
        try (RespServerThread server = Backends.start(backend, SMALL_LIMITS);
                RespClient client = new RespClient(server.address())) {
            String value = "z".repeat(30_000);
            client.roundTrip(set("v", value), "+OK\r\n");
            client.send(get("v").repeat(200)); // 200 x 30 kB of replies to about 3 kB of requests
            byte[] got = client.readToEof();
            assertThat(got.length).isLessThanOrEqualTo((int) SMALL_LIMITS.maxBacklog() + 40_000);
            assertThat(server.server().closedOverLimit()).isEqualTo(1);
            try (RespClient next = new RespClient(server.address())) {
                assertThat(next.roundTrip("PING\r\n", "+PONG\r\n")).isEqualTo("+PONG\r\n");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.oneloop.examples.resp.Backends#names")
    void refusesOversizeRequestsWithoutGrowingMemory(String backend) throws Exception {
        try (RespServerThread server = Backends.start(backend, SMALL_LIMITS)) {
            try (RespClient client = new RespClient(server.address())) {
                client.send("*2\r\n$3\r\nGET\r\n$" + (SMALL_LIMITS.maxBulkLength() + 1) + "\r\n");
                assertThat(text(client.readToEof())).isEqualTo("-ERR Protocol error: invalid bulk length\r\n");
            }
            try (RespClient client = new RespClient(server.address())) {
                client.send("x".repeat(RequestParser.INLINE_MAX_SIZE + 10));
                assertThat(text(client.readToEof())).isEqualTo("-ERR Protocol error: too big inline request\r\n");
            }
            try (RespClient client = new RespClient(server.address())) {
                client.send("*1" + "1".repeat(RequestParser.INLINE_MAX_SIZE + 10));
                assertThat(text(client.readToEof())).isEqualTo("-ERR Protocol error: too big mbulk count string\r\n");
            }
            try (RespClient client = new RespClient(server.address())) {
                // Many bulks within the length limit: the query buffer limit closes it.
                String arg = "$30000\r\n" + "a".repeat(30_000) + "\r\n";
                client.send("*100\r\n$4\r\nECHO\r\n" + arg.repeat(6));
                try {
                    assertThat(client.readToEof()).isEmpty();
                } catch (java.net.SocketException reset) {
                    // Closed with input unread, so the kernel sends RST: a close all the same, as Redis's.
                }
            }
            assertThat(server.server().maxInputBytesSeen()).isLessThanOrEqualTo(SMALL_LIMITS.maxQueryBuffer());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.oneloop.examples.resp.Backends#names")
    void survivesAStormOfResetsAndServesTheNextClient(String backend) throws Exception {
        try (RespServerThread server = Backends.start(backend, RespConfig.DEFAULTS)) {
            List<RespClient> clients = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                RespClient c = new RespClient(server.address());
                c.send(set("k" + i, "v".repeat(10_000)) + get("k" + i).repeat(50));
                clients.add(c);
            }
            for (RespClient c : clients) {
                c.reset();
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> server.server().activeConnections() == 0);
            try (RespClient next = new RespClient(server.address())) {
                assertThat(next.roundTrip("ECHO hello\r\n", "$5\r\nhello\r\n")).isEqualTo("$5\r\nhello\r\n");
            }
        }
    }
}
