package dev.oneloop.examples.resp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random, mutated and truncated RESP from a seeded generator (the seed is in the failure message, so
 * a failure replays): every input is answered and then closed cleanly after the client half-closes,
 * the server keeps serving, and the per-connection reply queue and input buffer stay under their limits.
 */
@Timeout(60)
class FuzzTest {

    private static final RespConfig LIMITS = RespConfig.DEFAULTS.withLimits(64 << 10, 16 << 10, 1 << 20, 128 << 10, 16 << 10);
    private static final int CASES_PER_BACKEND = 300;

    private static final String[] COMMANDS = {"PING", "ECHO", "GET", "SET", "DEL", "EXISTS", "INCR", "DBSIZE", "FLUSHALL",
        "CONFIG", "COMMAND", "FOO", "set", "get", "EX", "PX", "NX", "XX", "KEEPTTL", "GET"};

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.oneloop.examples.resp.Backends#names")
    void answersOrClosesCleanlyOnRandomAndTruncatedInputWithinLimits(String backend) throws Exception {
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        try (RespServerThread server = Backends.start(backend, LIMITS)) {
            for (int i = 0; i < CASES_PER_BACKEND; i++) {
                byte[] input = input(random);
                try (RespClient client = new RespClient(server.address())) {
                    try {
                        client.send(input);
                        client.shutdownOutput();
                    } catch (SocketException closedEarly) {
                        // The server may close after a protocol error before all input is written.
                    }
                    byte[] replies;
                    try {
                        replies = client.readToEof();
                    } catch (SocketException reset) {
                        // Input left unread after a protocol error makes the close an RST: still a clean close.
                        replies = new byte[0];
                    }
                    assertThat(wellFormed(replies)).as("seed %d case %d: replies to %s", seed, i, show(input)).isTrue();
                }
                try (RespClient probe = new RespClient(server.address())) {
                    assertThat(probe.roundTrip("PING\r\n", "+PONG\r\n")).as("seed %d case %d", seed, i).isEqualTo("+PONG\r\n");
                }
            }
            assertThat(server.server().maxQueuedBytesSeen()).as("seed %d", seed).isLessThanOrEqualTo(LIMITS.maxBacklog());
            assertThat(server.server().maxInputBytesSeen()).as("seed %d", seed).isLessThanOrEqualTo(LIMITS.maxQueryBuffer());
        }
    }

    /** A pipeline of valid requests, then damage: truncation, flipped bytes, garbage, huge lengths. */
    private static byte[] input(Random random) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int requests = random.nextInt(20);
        for (int r = 0; r < requests; r++) {
            int argc = 1 + random.nextInt(5);
            boolean inline = random.nextInt(4) == 0;
            StringBuilder line = new StringBuilder();
            if (!inline) {
                out.writeBytes(("*" + argc + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            }
            for (int a = 0; a < argc; a++) {
                String arg = a == 0 || random.nextBoolean() ? COMMANDS[random.nextInt(COMMANDS.length)]
                        : random.nextInt(3) == 0 ? Integer.toString(random.nextInt(200) - 100) : "k" + random.nextInt(5);
                if (inline) {
                    line.append(arg).append(' ');
                } else {
                    out.writeBytes(("$" + arg.length() + "\r\n" + arg + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                }
            }
            if (inline) {
                out.writeBytes((line + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            }
        }
        byte[] bytes = out.toByteArray();
        switch (random.nextInt(6)) {
            case 0 -> { // truncated anywhere
                return java.util.Arrays.copyOf(bytes, bytes.length == 0 ? 0 : random.nextInt(bytes.length));
            }
            case 1 -> { // a few bytes flipped
                for (int k = 0; k < 3 && bytes.length > 0; k++) {
                    bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
                }
                return bytes;
            }
            case 2 -> { // pure garbage
                byte[] garbage = new byte[random.nextInt(2000)];
                random.nextBytes(garbage);
                return garbage;
            }
            case 3 -> { // a huge or negative length, or a long line without a newline
                String[] bad = {"*99999999999\r\n", "*2\r\n$999999999\r\n", "$-5\r\n", "*1\r\n$70000\r\n" + "a".repeat(1000),
                    "x".repeat(70_000), "*" + "9".repeat(70_000), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$16000\r\n" + "v".repeat(16_000) + "\r\n"};
                out.writeBytes(bad[random.nextInt(bad.length)].getBytes(StandardCharsets.ISO_8859_1));
                return out.toByteArray();
            }
            default -> {
                return bytes;
            }
        }
    }

    /** Every reply is a complete RESP2 value: a client can parse the stream to its end. */
    private static boolean wellFormed(byte[] replies) {
        int pos = 0;
        while (pos < replies.length) {
            pos = value(replies, pos);
            if (pos < 0) {
                return false;
            }
        }
        return true;
    }

    private static int value(byte[] b, int pos) {
        int eol = lineEnd(b, pos);
        if (eol < 0) {
            return -1;
        }
        String head = new String(b, pos + 1, eol - pos - 1, StandardCharsets.ISO_8859_1);
        switch (b[pos]) {
            case '+', '-', ':' -> {
                return eol + 2;
            }
            case '$' -> {
                long n = Long.parseLong(head);
                if (n < 0) {
                    return eol + 2;
                }
                long end = eol + 2 + n + 2;
                return end <= b.length && b[(int) end - 2] == '\r' && b[(int) end - 1] == '\n' ? (int) end : -1;
            }
            case '*' -> {
                int p = eol + 2;
                for (long n = Long.parseLong(head); n > 0 && p >= 0; n--) {
                    p = value(b, p);
                }
                return p;
            }
            default -> {
                return -1;
            }
        }
    }

    private static int lineEnd(byte[] b, int from) {
        for (int i = from; i + 1 < b.length; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static String show(byte[] input) {
        String s = new String(input, 0, Math.min(input.length, 300), StandardCharsets.ISO_8859_1);
        return s.replace("\r", "\\r").replace("\n", "\\n") + (input.length > 300 ? "... (" + input.length + " bytes)" : "");
    }

}
