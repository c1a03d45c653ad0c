package dev.oneloop.bench.jmh;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import dev.oneloop.backend.BackendSelectionException;
import dev.oneloop.server.EchoServerThread;
import dev.oneloop.server.ServerConfig;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * Pipelined throughput over many connections: each operation writes {@code depth} messages on
 * every connection without waiting, then reads and compares every echo. {@code messages} (an
 * auxiliary result) is the echo rate in messages per second.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms512m", "-Xmx512m"})
public class PipelinedThroughputBenchmark {

    @Param({"nio", "epoll", "iouring", "iouring-netty"})
    public String backend;

    @Param({"10", "100"})
    public int connections;

    @Param({"16"})
    public int depth;

    @Param({"64"})
    public int size;

    /** Echoed messages, reported per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Messages {
        public long messages;
    }

    private EchoServerThread server;
    private SocketChannel[] clients;
    private ByteBuffer batch;
    private ByteBuffer echo;

    @Setup(Level.Trial)
    public void start() throws IOException, BackendSelectionException {
        server = EchoServerThread.start(backend, ServerConfig.DEFAULTS.withPort(0).withStatusInterval(Duration.ofHours(1)));
        clients = new SocketChannel[connections];
        for (int i = 0; i < connections; i++) {
            clients[i] = EchoPayload.connect(server);
        }
        batch = EchoPayload.random(depth * size, depth);
        echo = ByteBuffer.allocateDirect(depth * size);
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
        for (SocketChannel c : clients) {
            c.close();
        }
        server.close();
    }

    @Benchmark
    public void pipelined(Messages counted, LoopCost cost) throws IOException {
        // A batch per connection is far below the socket buffers, so writing all before reading cannot deadlock.
        for (SocketChannel c : clients) {
            batch.clear();
            EchoPayload.writeFully(c, batch);
        }
        batch.clear();
        for (SocketChannel c : clients) {
            echo.clear();
            EchoPayload.readFully(c, echo);
            echo.flip();
            EchoPayload.verify(echo, batch);
        }
        counted.messages += (long) connections * depth;
        cost.count(server.thread(), (long) connections * depth);
    }
}
