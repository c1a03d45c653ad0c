package dev.oneloop.bench.jmh;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Many idle clients in a child JVM, so that server and clients do not share one process's descriptor
 * limit: 10,000 connections need 10,000 descriptors on each side. The child connects, prints
 * {@code connected N}, then reads and discards everything it receives (as a client that keeps up
 * does) until its stdin closes or {@code maxSeconds} pass.
 */
public final class FanOutClients {

    private FanOutClients() {
    }

    /** Arguments: host port connections maxSeconds. */
    public static void main(String[] args) throws IOException {
        InetSocketAddress server = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        int connections = Integer.parseInt(args[2]);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(args[3]));
        Thread stdinWatcher = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // wait for the parent to close our stdin
                }
            } catch (IOException ignored) {
                // the parent is gone
            }
            Runtime.getRuntime().halt(0);
        }, "stdin-watcher");
        stdinWatcher.setDaemon(true);
        stdinWatcher.start();
        try (Selector selector = Selector.open()) {
            for (int i = 0; i < connections; i++) {
                SocketChannel channel = SocketChannel.open(server);
                channel.configureBlocking(false);
                channel.register(selector, SelectionKey.OP_READ);
            }
            System.out.println("connected " + connections);
            System.out.flush();
            ByteBuffer in = ByteBuffer.allocateDirect(64 << 10);
            while (System.nanoTime() < deadline) {
                selector.select(100);
                for (SelectionKey key : selector.selectedKeys()) {
                    in.clear();
                    if (((SocketChannel) key.channel()).read(in) < 0) {
                        key.cancel();
                        key.channel().close();
                    }
                }
                selector.selectedKeys().clear();
            }
        }
        Runtime.getRuntime().halt(0);
    }

    /** Starts the child JVM and waits until its connections are open. */
    static Process start(InetSocketAddress server, int connections, int maxSeconds) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("-Xmx256m");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(FanOutClients.class.getName());
        command.add(server.getAddress().getHostAddress());
        command.add(Integer.toString(server.getPort()));
        command.add(Integer.toString(connections));
        command.add(Integer.toString(maxSeconds));
        Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String line = new String(child.getInputStream().readNBytes(("connected " + connections + "\n").length()), StandardCharsets.US_ASCII);
        if (!line.startsWith("connected")) {
            child.destroyForcibly();
            throw new IOException("the client process did not connect: '" + line.strip() + "' (exit " + (child.isAlive() ? "-" : child.exitValue()) + ")");
        }
        return child;
    }
}
