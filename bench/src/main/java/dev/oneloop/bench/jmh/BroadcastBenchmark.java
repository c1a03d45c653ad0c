package dev.oneloop.bench.jmh;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import dev.oneloop.backend.BackendSelectionException;
import dev.oneloop.server.EchoServerThread;
import dev.oneloop.server.ServerConfig;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Broadcast fan-out: the server's status timer fires every {@code intervalMillis} and sends a line
 * to each of {@code connections} connections; one operation is every connection receiving (at
 * least) its next line. The time per operation is bounded below by the interval, so the figures
 * to read are the loop thread's CPU and allocation per line delivered ({@link LoopCost}).
 * Every line is checked, including that it counts all {@code connections}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms512m", "-Xmx512m"})
public class BroadcastBenchmark {

    private static final byte[] PREFIX = "Server status: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SUFFIX = " active connections\n".getBytes(StandardCharsets.US_ASCII);

    @Param({"nio", "epoll", "iouring", "iouring-netty"})
    public String backend;

    @Param({"100", "1000"})
    public int connections;

    @Param({"10"})
    public int intervalMillis;

    private EchoServerThread server;
    private SocketChannel[] clients;
    private byte[][] lines;
    private int[] lineLengths;
    private final ByteBuffer in = ByteBuffer.allocateDirect(4096);

    @Setup(Level.Trial)
    public void start() throws IOException, BackendSelectionException, InterruptedException {
        server = EchoServerThread.start(backend,
                ServerConfig.DEFAULTS.withPort(0).withStatusInterval(Duration.ofMillis(intervalMillis)));
        clients = new SocketChannel[connections];
        lines = new byte[connections][64];
        lineLengths = new int[connections];
        for (int i = 0; i < connections; i++) {
            clients[i] = EchoPayload.connect(server);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (server.server().activeConnections() < connections) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the server accepted " + server.server().activeConnections() + " of " + connections);
            }
            Thread.sleep(1);
        }
        // Lines sent while connections were still arriving count fewer connections: read them away.
        for (int i = 0; i < 3; i++) {
            broadcastRound(false);
        }
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
        for (SocketChannel c : clients) {
            c.close();
        }
        server.close();
    }

    @Benchmark
    public long fanOut(LoopCost cost) throws IOException {
        long delivered = broadcastRound(true);
        cost.count(server.thread(), delivered);
        return delivered;
    }

    /** Reads until every connection has a complete line; returns the lines read. */
    private long broadcastRound(boolean check) throws IOException {
        long total = 0;
        for (int i = 0; i < connections; i++) {
            int got = 0;
            while (got == 0) {
                in.clear();
                if (clients[i].read(in) < 0) {
                    throw new IOException("the server closed connection " + i);
                }
                for (int p = 0; p < in.position(); p++) {
                    byte b = in.get(p);
                    if (lineLengths[i] == lines[i].length) {
                        throw new IllegalStateException("connection " + i + " received a line longer than a status line");
                    }
                    lines[i][lineLengths[i]++] = b;
                    if (b == '\n') {
                        if (check) {
                            checkLine(lines[i], lineLengths[i]);
                        }
                        lineLengths[i] = 0;
                        got++;
                    }
                }
            }
            total += got;
        }
        return total;
    }

    private void checkLine(byte[] line, int length) {
        int count = 0;
        int digitsEnd = length - SUFFIX.length;
        boolean ok = digitsEnd > PREFIX.length;
        for (int i = 0; ok && i < PREFIX.length; i++) {
            ok = line[i] == PREFIX[i];
        }
        for (int i = PREFIX.length; ok && i < digitsEnd; i++) {
            ok = line[i] >= '0' && line[i] <= '9';
            count = count * 10 + (line[i] - '0');
        }
        for (int i = 0; ok && i < SUFFIX.length; i++) {
            ok = line[digitsEnd + i] == SUFFIX[i];
        }
        if (!ok || count != connections) {
            throw new IllegalStateException("unexpected line: " + new String(line, 0, length, StandardCharsets.US_ASCII).strip()
                    + " (expected " + connections + " active connections)");
        }
    }
}
