package dev.oneloop.backend.iouring.netty;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.Backends;
import dev.oneloop.backend.testing.EchoHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Measurement helper, not a test: an echo server on the main thread with blocking ping-pong
 * clients, for {@code strace} and memory figures. Run on the test class path, for example
 * <pre>
 * java -cp "$CP" dev.oneloop.backend.iouring.netty.EchoProbe echo iouring-netty 100 1000
 * java -cp "$CP" dev.oneloop.backend.iouring.netty.EchoProbe idle iouring-netty 1000
 * </pre>
 * {@code echo} prints the loop thread's id (for {@code perf stat -t}, or to filter {@code strace -f}
 * output), waits {@code -Doneloop.probe.pauseMillis} and then marks the measured part with an
 * {@code unlink} of {@code /tmp/oneloop-probe-start} before and {@code -end} after it. {@code idle} keeps connections with a receive armed and
 * prints heap and direct memory per connection.
 */
public final class EchoProbe {

    private static final int MESSAGE = 64;

    private EchoProbe() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String backendName = args[1];
        int clients = Integer.parseInt(args[2]);
        if (mode.equals("echo")) {
            echo(backendName, clients, Integer.parseInt(args[3]));
        } else if (mode.equals("idle")) {
            idle(backendName, clients, args.length > 3 ? Long.parseLong(args[3]) : 0);
        } else {
            throw new IllegalArgumentException("mode must be echo or idle: " + mode);
        }
    }

    private static void echo(String backendName, int clients, int roundTrips) throws Exception {
        BackendConfig config = new BackendConfig(clients + 16, 16_384);
        try (Backend backend = Backends.open(backendName, config)) {
            int listener = backend.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
            backend.accept(listener);
            int port = backend.localAddress(listener).getPort();
            EchoHandler echo = new EchoHandler(backend, config);
            CountDownLatch start = new CountDownLatch(1);
            AtomicInteger finished = new AtomicInteger();
            for (int i = 0; i < clients; i++) {
                Thread.ofPlatform().daemon().start(() -> pingPong(port, roundTrips, start, finished));
            }
            while (backend.openHandles() < clients + 1) {
                backend.poll(TimeUnit.MILLISECONDS.toNanos(10), echo);
            }
            System.out.println("loop thread " + Path.of("/proc/thread-self").toRealPath().getFileName());
            // Time to attach a tracer to the loop thread (perf stat -t), if wanted.
            Thread.sleep(Long.getLong("oneloop.probe.pauseMillis", 0));
            Files.deleteIfExists(Path.of("/tmp/oneloop-probe-start"));
            long polls = 0;
            long started = System.nanoTime();
            start.countDown();
            while (finished.get() < clients) {
                backend.poll(TimeUnit.MILLISECONDS.toNanos(100), echo);
                polls++;
            }
            long elapsed = System.nanoTime() - started;
            Files.deleteIfExists(Path.of("/tmp/oneloop-probe-end"));
            System.out.printf("backend=%s clients=%d messages=%d polls=%d seconds=%.2f%n",
                    backend.name(), clients, echo.bytesEchoed() / MESSAGE, polls, elapsed / 1e9);
        }
    }

    private static void pingPong(int port, int roundTrips, CountDownLatch start, AtomicInteger finished) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setTcpNoDelay(true);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            byte[] message = new byte[MESSAGE];
            start.await();
            for (int i = 0; i < roundTrips; i++) {
                out.write(message);
                in.readNBytes(message, 0, MESSAGE);
            }
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        } finally {
            finished.incrementAndGet();
        }
    }

    private static void idle(String backendName, int clients, long idleSeconds) throws Exception {
        BufferPoolMXBean direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(pool -> pool.getName().equals("direct")).findFirst().orElseThrow();
        BackendConfig config = new BackendConfig(clients + 16, 16_384);
        try (Backend backend = Backends.open(backendName, config)) {
            InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
            EchoHandler echo = new EchoHandler(backend, config);
            // A first connection on another listener, so that what a backend sets up once is not counted;
            // every measured client connects into the backlog before the baseline, so only the server side is.
            int warmUp = backend.listen(loopback, 16);
            backend.accept(warmUp);
            List<Socket> sockets = new ArrayList<>();
            sockets.add(new Socket(InetAddress.getLoopbackAddress(), backend.localAddress(warmUp).getPort()));
            int listener = backend.listen(loopback, 4096);
            int port = backend.localAddress(listener).getPort();
            for (int i = 1; i < clients; i++) {
                sockets.add(new Socket(InetAddress.getLoopbackAddress(), port));
            }
            while (backend.openHandles() < 3) {
                backend.poll(TimeUnit.MILLISECONDS.toNanos(10), echo);
            }
            settle(backend, echo);
            long heapBefore = usedHeap();
            long directBefore = direct.getMemoryUsed();
            backend.accept(listener);
            while (backend.openHandles() < clients + 2) {
                backend.poll(TimeUnit.MILLISECONDS.toNanos(10), echo);
            }
            settle(backend, echo);
            long heap = usedHeap() - heapBefore;
            long directBytes = direct.getMemoryUsed() - directBefore;
            int added = clients - 1;
            System.out.printf("backend=%s idle connections=%d heap/conn=%d B direct/conn=%d B (echo handler's own outbound buffer excluded: %d B)%n",
                    backend.name(), clients, heap / added, directBytes / added - config.readBufferSize(), config.readBufferSize());
            if (idleSeconds > 0) {
                long cpuBefore = ManagementFactory.getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class).getProcessCpuTime();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(idleSeconds);
                long polls = 0;
                while (System.nanoTime() < deadline) {
                    backend.poll(Math.max(1, deadline - System.nanoTime()), echo);
                    polls++;
                }
                long cpu = ManagementFactory.getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class).getProcessCpuTime() - cpuBefore;
                System.out.printf("backend=%s idle for %d s with %d connections: process CPU %.1f ms (%.3f%%), polls=%d%n",
                        backend.name(), idleSeconds, clients, cpu / 1e6, 100.0 * cpu / TimeUnit.SECONDS.toNanos(idleSeconds), polls);
            }
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }

    private static void settle(Backend backend, Backend.Handler handler) throws IOException, InterruptedException {
        for (int i = 0; i < 5; i++) {
            backend.poll(TimeUnit.MILLISECONDS.toNanos(20), handler);
            System.gc();
            Thread.sleep(50);
        }
    }

    private static long usedHeap() {
        Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }
}
