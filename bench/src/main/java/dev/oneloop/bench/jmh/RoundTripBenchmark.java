package dev.oneloop.bench.jmh;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
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
 * Round-trip latency on one connection: send a message, read its whole echo, compare it. The
 * oneloop echo server runs in this JVM on its own loop thread; the status broadcast is set an hour
 * apart so it never lands inside a measured echo.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms512m", "-Xmx512m"})
public class RoundTripBenchmark {

    @Param({"nio", "epoll", "iouring", "iouring-netty"})
    public String backend;

    @Param({"64", "1024", "16384"})
    public int size;

    private EchoServerThread server;
    private SocketChannel client;
    private ByteBuffer message;
    private ByteBuffer echo;

    @Setup(Level.Trial)
    public void start() throws IOException, BackendSelectionException {
        server = EchoServerThread.start(backend, ServerConfig.DEFAULTS.withPort(0).withStatusInterval(Duration.ofHours(1)));
        client = EchoPayload.connect(server);
        message = EchoPayload.random(size, size);
        echo = ByteBuffer.allocateDirect(size);
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
        client.close();
        server.close();
    }

    @Benchmark
    public byte roundTrip(LoopCost cost) throws IOException {
        message.clear();
        EchoPayload.writeFully(client, message);
        echo.clear();
        EchoPayload.readFully(client, echo);
        message.flip();
        echo.flip();
        EchoPayload.verify(echo, message);
        cost.count(server.thread(), 1);
        return echo.get(size - 1);
    }
}
