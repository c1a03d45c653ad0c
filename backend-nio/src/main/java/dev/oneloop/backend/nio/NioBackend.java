package dev.oneloop.backend.nio;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.readiness.Endpoint;
import dev.oneloop.backend.readiness.Mechanism;
import dev.oneloop.backend.readiness.ReadinessBackend;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Mechanism} of {@code -Dbackend=nio}: a JDK {@link Selector} under the shared
 * {@link ReadinessBackend}. The selector is level-triggered; the core asks for {@code OP_READ}
 * ({@code OP_ACCEPT}) only while a receive (acceptance) is armed and not known to be ready, and
 * for {@code OP_WRITE} only while a write waits for room, so an idle key never wakes the loop.
 * Interest reaches the key lazily, once per turn, so a read disarmed and re-armed in one turn costs
 * no {@code epoll_ctl}.
 *
 * <p>Selection uses {@link Selector#select(Consumer, long)}, which visits the ready keys without
 * the selected-key set and its iterator: nothing is allocated per message. A registered channel
 * is closed by the selector when it deregisters the cancelled key, at the next select: the
 * descriptor outlives {@code close} by one turn (the peer sees FIN at once). The JDK raises no
 * {@code SIGPIPE}, and reports errors without errno: the core types them from their
 * {@code strerror} text.
 */
final class NioBackend implements Mechanism<SelectableChannel> {

    static final String NAME = "nio";

    private static final Logger LOG = LoggerFactory.getLogger(NioBackend.class);

    private final Selector selector;
    private final Consumer<SelectionKey> dispatcher = NioBackend::dispatch;

    NioBackend() throws IOException {
        selector = Selector.open();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public SelectableChannel listen(InetSocketAddress address, boolean ipv6, int backlog) throws IOException {
        ServerSocketChannel channel = ServerSocketChannel.open(ipv6 ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        try {
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            channel.bind(address, backlog);
            channel.configureBlocking(false);
            return channel;
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    @Override
    public SelectableChannel accept(SelectableChannel listener) throws IOException {
        while (true) {
            SocketChannel channel = ((ServerSocketChannel) listener).accept();
            if (channel == null) {
                return null;
            }
            try {
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                return channel;
            } catch (IOException e) {
                // The peer is typically gone already; that is its connection's problem, not the listener's.
                LOG.atDebug().setCause(e).log("dropping a connection that could not be set up");
                closeQuietly(channel);
            }
        }
    }

    @Override
    public void register(SelectableChannel channel, Endpoint<SelectableChannel> endpoint) throws IOException {
        channel.register(selector, 0, endpoint);
    }

    /** Interest changes are rare (a stalled write, a receive armed on an empty socket): finding the key costs no field per socket. */
    @Override
    public void interest(SelectableChannel channel, int interest) {
        int read = channel instanceof ServerSocketChannel ? SelectionKey.OP_ACCEPT : SelectionKey.OP_READ;
        channel.keyFor(selector).interestOps(((interest & READ) != 0 ? read : 0) | ((interest & WRITE) != 0 ? SelectionKey.OP_WRITE : 0));
    }

    @Override
    public int receive(SelectableChannel channel, ByteBuffer dst) throws IOException {
        return ((SocketChannel) channel).read(dst);
    }

    @Override
    public int send(SelectableChannel channel, ByteBuffer src) throws IOException {
        return ((SocketChannel) channel).write(src);
    }

    @Override
    public InetSocketAddress localAddress(SelectableChannel channel) throws IOException {
        return (InetSocketAddress) ((NetworkChannel) channel).getLocalAddress();
    }

    @Override
    public void close(SelectableChannel channel) {
        // A registered channel's close() cancels its key and shuts the output down now (the peer
        // sees FIN at once); the selector releases the descriptor when it flushes the key, at the
        // next select.
        closeQuietly(channel);
    }

    @Override
    public void await(long timeoutNanos) throws IOException {
        if (timeoutNanos == Backend.NO_WAIT) {
            selector.selectNow(dispatcher);
        } else if (timeoutNanos < 0) {
            selector.select(dispatcher);
        } else {
            selector.select(dispatcher, ceilMillis(timeoutNanos));
        }
    }

    @Override
    public void wakeup() {
        selector.wakeup();
    }

    @Override
    public void close() {
        try {
            selector.close(); // flushes the cancelled keys, which finishes the deferred channel closes
        } catch (IOException e) {
            LOG.atWarn().setCause(e).log("closing the selector failed");
        }
    }

    private static void dispatch(SelectionKey key) {
        int ops = key.readyOps();
        ((Endpoint<?>) key.attachment()).ready(((ops & (SelectionKey.OP_READ | SelectionKey.OP_ACCEPT)) != 0 ? READABLE : 0)
                | ((ops & SelectionKey.OP_WRITE) != 0 ? WRITABLE : 0));
    }

    private static void closeQuietly(SelectableChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.atDebug().setCause(e).log("close failed");
        }
    }

    /** Rounds up, so that a timer deadline is never reached early. */
    static long ceilMillis(long nanos) {
        long millis = nanos / 1_000_000;
        return nanos % 1_000_000 == 0 ? millis : millis + 1;
    }
}
