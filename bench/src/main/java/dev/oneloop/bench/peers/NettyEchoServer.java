package dev.oneloop.bench.peers;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import dev.oneloop.bench.Durations;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Netty's standard server, what a Java user would pick instead of oneloop: a {@link ServerBootstrap}
 * with one event-loop thread on the chosen transport, an echo handler and a broadcast scheduled on
 * that same loop. Backpressure is Netty's usual one (stop auto-read while the channel is not
 * writable); a connection whose unsent bytes pass {@code --out-limit} at a broadcast is closed.
 */
@Command(name = "netty-echo-server", mixinStandardHelpOptions = true,
        description = "Netty ServerBootstrap echo + status broadcast server on one event-loop thread.")
public final class NettyEchoServer implements Callable<Integer> {

    enum Transport { nio, epoll, iouring }

    @Option(names = "--transport", required = true, description = "nio, epoll or iouring")
    private Transport transport;

    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "address to listen on (default ${DEFAULT-VALUE})")
    private String bind;

    @Option(names = "--port", defaultValue = "9000", description = "port; 0 picks a free one (default ${DEFAULT-VALUE})")
    private int port;

    @Option(names = "--status-interval", defaultValue = "5s", converter = Durations.class,
            description = "interval of the status broadcast, e.g. 250ms, 5s; 0s disables it (default ${DEFAULT-VALUE})")
    private Duration statusInterval;

    @Option(names = "--out-limit", defaultValue = "1048576",
            description = "unsent bytes after which a connection is closed at a broadcast (default ${DEFAULT-VALUE})")
    private long outLimit;

    public static void main(String[] args) {
        int exit = new CommandLine(new NettyEchoServer()).execute(args);
        if (exit != 0) {
            System.exit(exit);
        }
    }

    @Override
    public Integer call() throws Exception {
        IoHandlerFactory ioHandler;
        Class<? extends ServerChannel> channelType;
        switch (transport) {
            case nio -> {
                ioHandler = NioIoHandler.newFactory();
                channelType = NioServerSocketChannel.class;
            }
            case epoll -> {
                Epoll.ensureAvailability();
                ioHandler = EpollIoHandler.newFactory();
                channelType = EpollServerSocketChannel.class;
            }
            default -> {
                IoUring.ensureAvailability();
                ioHandler = IoUringIoHandler.newFactory();
                channelType = IoUringServerSocketChannel.class;
            }
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, ioHandler);
        EventLoop loop = group.next();
        ChannelGroup connections = new DefaultChannelGroup(loop);
        EchoHandler echo = new EchoHandler();
        Channel listener = new ServerBootstrap()
                .group(group)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.add(ch);
                        ch.pipeline().addLast(echo);
                    }
                })
                .bind(new InetSocketAddress(bind, port)).sync().channel();
        if (!statusInterval.isZero()) {
            long nanos = statusInterval.toNanos();
            loop.scheduleAtFixedRate(() -> broadcast(connections), nanos, nanos, TimeUnit.NANOSECONDS);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly()));
        ListenLine.print((InetSocketAddress) listener.localAddress(), "netty-" + transport);
        listener.closeFuture().sync();
        return 0;
    }

    private void broadcast(ChannelGroup connections) {
        ByteBuf line = Unpooled.wrappedBuffer(ListenLine.statusLine(connections.size()));
        for (Channel ch : connections) {
            if (ch.bytesBeforeWritable() > outLimit) {
                ch.close();
                continue;
            }
            ch.writeAndFlush(line.retainedDuplicate(), ch.voidPromise());
        }
        line.release();
    }

    @Sharable
    private static final class EchoHandler extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg, ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            ctx.channel().config().setAutoRead(ctx.channel().isWritable());
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
            if (event instanceof ChannelInputShutdownEvent) {
                // Half-close: everything read so far is echoed, then the connection closes.
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
            ctx.fireUserEventTriggered(event);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
