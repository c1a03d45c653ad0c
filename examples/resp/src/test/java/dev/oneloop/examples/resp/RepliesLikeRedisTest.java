package dev.oneloop.examples.resp;

import static dev.oneloop.examples.resp.RespClient.bytes;
import static dev.oneloop.examples.resp.RespClient.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Replies byte for byte as redis-server 7.0.15 gives them (captured from it), on every backend. */
@Timeout(60)
class RepliesLikeRedisTest {

    /** A request, Redis's exact reply, and whether Redis then closed the connection. */
    record Case(String request, String reply, boolean closes) {
    }

    static final List<Case> CASES = List.of(
            new Case("PING\r\n",
                    "+PONG\r\n", false),
            new Case("ping hello\r\n",
                    "$5\r\nhello\r\n", false),
            new Case("PING a b\r\n",
                    "-ERR wrong number of arguments for 'ping' command\r\n", false),
            new Case("*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n",
                    "+PONG\r\n$2\r\nhi\r\n", false),
            new Case("foo a b\r\n",
                    "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n", false),
            new Case("*3\r\n$3\r\nfoo\r\n$1\r\na\r\n$1\r\nb\r\n",
                    "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n", false),
            new Case("FOO\r\n",
                    "-ERR unknown command 'FOO', with args beginning with: \r\n", false),
            new Case("\r\n\r\nPING\r\n",
                    "+PONG\r\n", false),
            new Case("*0\r\nPING\r\n",
                    "+PONG\r\n", false),
            new Case("*-1\r\nPING\r\n",
                    "+PONG\r\n", false),
            new Case("*x\r\n",
                    "-ERR Protocol error: invalid multibulk length\r\n", true),
            new Case("*2\r\nfoo\r\n",
                    "-ERR Protocol error: expected '$', got 'f'\r\n", true),
            new Case("*1\r\n$x\r\n",
                    "-ERR Protocol error: invalid bulk length\r\n", true),
            new Case("*1\r\n$-1\r\n",
                    "-ERR Protocol error: invalid bulk length\r\n", true),
            new Case("*1\r\n$600000000\r\n",
                    "-ERR Protocol error: invalid bulk length\r\n", true),
            new Case("*3000000000\r\n",
                    "-ERR Protocol error: invalid multibulk length\r\n", true),
            new Case("PING\r\n*1\r\n$x\r\nPING\r\n",
                    "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n", true),
            new Case("set k v ex 0\r\n",
                    "-ERR invalid expire time in 'set' command\r\n", false),
            new Case("set k v ex x\r\n",
                    "-ERR value is not an integer or out of range\r\n", false),
            new Case("set k v px -1\r\n",
                    "-ERR invalid expire time in 'set' command\r\n", false),
            new Case("set k v nx xx\r\n",
                    "-ERR syntax error\r\n", false),
            new Case("set k v foo\r\n",
                    "-ERR syntax error\r\n", false),
            new Case("set k v\r\nset k w nx\r\nget k\r\nset k w xx\r\nset k2 w xx\r\nget k\r\n",
                    "+OK\r\n$-1\r\n$1\r\nv\r\n+OK\r\n$-1\r\n$1\r\nw\r\n", false),
            new Case("set k v ex 10 px 100\r\n",
                    "-ERR syntax error\r\n", false),
            new Case("set k v ex 1 keepttl\r\n",
                    "-ERR syntax error\r\n", false),
            new Case("set k v\r\nset k w get\r\nget k\r\nset k3 x get\r\nset k v nx get\r\n",
                    "+OK\r\n$1\r\nv\r\n$1\r\nw\r\n$-1\r\n$1\r\nw\r\n", false),
            new Case("set k v ex 100 px\r\n",
                    "-ERR syntax error\r\n", false),
            new Case("SET k v EX 100\r\nset k w keepttl\r\nget k\r\n",
                    "+OK\r\n+OK\r\n$1\r\nw\r\n", false),
            new Case("incr k\r\nset n 9223372036854775807\r\nincr n\r\nset m 5\r\nincr m\r\nincr new\r\nincr x y\r\nset s ' 5'\r\nincr s\r\nset z 007\r\nincr z\r\nset neg -3\r\nincr neg\r\nget neg\r\n",
                    ":1\r\n+OK\r\n-ERR increment or decrement would overflow\r\n+OK\r\n:6\r\n:1\r\n-ERR wrong number of arguments for 'incr' command\r\n+OK\r\n-ERR value is not an integer or out of range\r\n+OK\r\n-ERR value is not an integer or out of range\r\n+OK\r\n:-2\r\n$2\r\n-2\r\n", false),
            new Case("set k v\r\nset n 1\r\nset m 2\r\ndel k n m new nosuch\r\nset s 1\r\nexists s s nosuch\r\ndbsize\r\nflushall\r\ndbsize\r\nflushall async\r\nflushall foo\r\nflushall sync x\r\n",
                    "+OK\r\n+OK\r\n+OK\r\n:3\r\n+OK\r\n:2\r\n:1\r\n+OK\r\n:0\r\n+OK\r\n-ERR syntax error\r\n-ERR syntax error\r\n", false),
            new Case("config get save\r\nconfig get appendonly\r\nconfig get\r\nconfig foo\r\nconfig get nosuch\r\n",
                    "*2\r\n$4\r\nsave\r\n$0\r\n\r\n*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n-ERR wrong number of arguments for 'config|get' command\r\n-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n*0\r\n", false),
            new Case("command foo\r\n",
                    "-ERR unknown subcommand 'foo'. Try COMMAND HELP.\r\n", false),
            new Case("echo\r\necho a b\r\nget\r\nget a b\r\ndel\r\nexists\r\ndbsize x\r\nset k\r\nincr\r\nconfig\r\n",
                    "-ERR wrong number of arguments for 'echo' command\r\n-ERR wrong number of arguments for 'echo' command\r\n-ERR wrong number of arguments for 'get' command\r\n-ERR wrong number of arguments for 'get' command\r\n-ERR wrong number of arguments for 'del' command\r\n-ERR wrong number of arguments for 'exists' command\r\n-ERR wrong number of arguments for 'dbsize' command\r\n-ERR wrong number of arguments for 'set' command\r\n-ERR wrong number of arguments for 'incr' command\r\n-ERR wrong number of arguments for 'config' command\r\n", false),
            new Case("set \"a b\" \"c\\x41d\\n\"\r\nget \"a b\"\r\nset 'it\\'s' x\r\nget \"it's\"\r\necho a\"b c\"d\r\n",
                    "+OK\r\n$4\r\ncAd\n\r\n+OK\r\n$1\r\nx\r\n-ERR Protocol error: unbalanced quotes in request\r\n", true),
            new Case("get \"abc\r\n",
                    "-ERR Protocol error: unbalanced quotes in request\r\n", true),
            new Case("get 'a'b\r\n",
                    "-ERR Protocol error: unbalanced quotes in request\r\n", true),
            new Case("*1\r\n$4\r\nPINGxx\r\n",
                    "+PONG\r\n", false),
            new Case("unknownxyz " + "a".repeat(100) + "" + "a".repeat(100) + " b\r\n",
                    "-ERR unknown command 'unknownxyz', with args beginning with: '" + "a".repeat(100) + "aaaaaaaaaaaaaaaaaaaaaaaaaaaa' \r\n", false),
            new Case("x " + "a".repeat(100) + " " + "b".repeat(100) + " c\r\n",
                    "-ERR unknown command 'x', with args beginning with: '" + "a".repeat(100) + "' 'bbbbbbbbbbbbbbbbbbbbbbbbb' \r\n", false),
            new Case("*2\r\n$3\r\nfoo\r\n$3\r\na\nb\r\n",
                    "-ERR unknown command 'foo', with args beginning with: 'a b' \r\n", false),
            new Case("*1\r\n*2\r\n",
                    "-ERR Protocol error: expected '$', got '*'\r\n", true),
            new Case("*1\r\n $3\r\n",
                    "-ERR Protocol error: expected '$', got ' '\r\n", true),
            new Case("\tPING\t\r\n",
                    "+PONG\r\n", false),
            new Case("PING\n",
                    "+PONG\r\n", false),
            new Case("QUIT\r\nPING\r\n",
                    "+OK\r\n", true),
            new Case("*2\r\n$3\r\nGET\r\n$0\r\n\r\n*3\r\n$3\r\nSET\r\n$0\r\n\r\n$0\r\n\r\n*2\r\n$3\r\nGET\r\n$0\r\n\r\n",
                    "$-1\r\n+OK\r\n$0\r\n\r\n", false));

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.oneloop.examples.resp.Backends#names")
    void answersEveryRequestExactlyAsRedisDoes(String backend) throws Exception {
        try (RespServerThread server = Backends.start(backend, RespConfig.DEFAULTS)) {
            for (Case c : CASES) {
                try (RespClient client = new RespClient(server.address())) {
                    assertThat(client.roundTrip("FLUSHALL\r\n", "+OK\r\n")).isEqualTo("+OK\r\n");
                    client.send(c.request());
                    if (c.closes()) {
                        assertThat(text(client.readToEof())).as("reply to %s", c.request()).isEqualTo(c.reply());
                    } else {
                        assertThat(client.read(c.reply())).as("reply to %s", c.request()).isEqualTo(c.reply());
                        // Nothing more was queued: the next reply is the next request's.
                        assertThat(client.roundTrip("PING\r\n", "+PONG\r\n")).as("after %s", c.request()).isEqualTo("+PONG\r\n");
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.oneloop.examples.resp.Backends#names")
    void answersEveryCaseWhenAllArrivePipelinedOneByteAtATime(String backend) throws Exception {
        StringBuilder requests = new StringBuilder();
        StringBuilder replies = new StringBuilder();
        for (Case c : CASES) {
            if (!c.closes()) {
                requests.append("FLUSHALL\r\n").append(c.request());
                replies.append("+OK\r\n").append(c.reply());
            }
        }
        try (RespServerThread server = Backends.start(backend, RespConfig.DEFAULTS);
                RespClient client = new RespClient(server.address())) {
            byte[] all = bytes(requests.toString());
            // Split into pieces of 1..7 bytes so requests straddle reads everywhere.
            int pos = 0;
            int piece = 1;
            while (pos < all.length) {
                int n = Math.min(piece, all.length - pos);
                client.send(java.util.Arrays.copyOfRange(all, pos, pos + n));
                pos += n;
                piece = piece % 7 + 1;
            }
            client.shutdownOutput();
            assertThat(text(client.readToEof())).isEqualTo(replies.toString());
        }
    }
}
