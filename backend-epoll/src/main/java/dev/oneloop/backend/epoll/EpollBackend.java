package dev.oneloop.backend.epoll;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendException;
import dev.oneloop.backend.readiness.Endpoint;
import dev.oneloop.backend.readiness.Mechanism;
import dev.oneloop.backend.readiness.ReadinessBackend;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.ManualIoEventLoop;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.LinuxSocket;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.NotYetConnectedException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Mechanism} of {@code -Dbackend=epoll}: Linux epoll, edge-triggered, through Netty
 * 4.2's {@link EpollIoHandler} on a {@link ManualIoEventLoop} that {@link #await} runs on the loop
 * thread, under the shared {@link ReadinessBackend}; no Netty channel, pipeline or thread is
 * involved. Each socket is an {@link EpollIoHandle} over a {@link LinuxSocket}.
 *
 * <p>Every connection is registered once for {@code EPOLLIN | EPOLLRDHUP | EPOLLET} and keeps that
 * interest for life, so arming a receive costs no {@code epoll_ctl}: the core's {@code READ}
 * interest is already there, and {@code EPOLLOUT} is added only while a write waits for room. An
 * edge only records readiness on the endpoint: an application's exception is never swallowed by
 * Netty's loop (which logs it and sleeps a second). Netty caches the {@link EpollIoEvent} of a lone
 * {@code EPOLLIN} or {@code EPOLLOUT} but allocates one for a combination (e.g. {@code EPOLLIN |
 * EPOLLRDHUP} once per half-close): rare, but not zero.
 *
 * <p><b>SIGPIPE.</b> Netty's {@code send} passes no {@code MSG_NOSIGNAL}; a write to a connection
 * the peer reset still fails with {@code EPIPE} instead of killing the process because HotSpot
 * installs its own SIGPIPE handler, which ignores the signal (see {@code EpollBackendTest}).
 */
final class EpollBackend implements Mechanism<EpollBackend.Socket> {

    static final String NAME = "epoll";

    private static final Logger LOG = LoggerFactory.getLogger(EpollBackend.class);

    // Built once: EpollIoOps.with() allocates for any combination it does not cache.
    private static final EpollIoOps LISTENER_OPS = EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLET);
    private static final EpollIoOps CONNECTION_OPS = EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLRDHUP).with(EpollIoOps.EPOLLET);
    private static final EpollIoOps CONNECTION_WRITE_OPS = CONNECTION_OPS.with(EpollIoOps.EPOLLOUT);
    private static final int EPOLLIN = EpollIoOps.EPOLLIN.value();
    private static final int EPOLLOUT = EpollIoOps.EPOLLOUT.value();
    private static final int EPOLLRDHUP = EpollIoOps.EPOLLRDHUP.value();
    private static final int EPOLLERR = EpollIoOps.EPOLLERR.value();
    /** Not exposed by EpollIoOps; the kernel reports it whatever the interest (uapi/linux/eventpoll.h). */
    private static final int EPOLLHUP = 0x010;

    private final WakeableLoop loop;
    /** Filled by accept(2) with the peer's address, which nothing here needs. */
    private final byte[] acceptedAddress = new byte[26];
    private long receiveCalls;

    EpollBackend() throws IOException {
        try {
            loop = new WakeableLoop(Thread.currentThread());
        } catch (RuntimeException e) {
            throw new IOException("cannot create the epoll loop: " + e.getMessage(), e);
        }
    }

    /** A socket, its registration with the loop and the endpoint its edges are reported to. */
    static final class Socket implements EpollIoHandle {
        final LinuxSocket socket;
        final boolean listener;
        Endpoint<Socket> endpoint;
        IoRegistration registration;
        /** The interest last submitted. */
        EpollIoOps ops;

        Socket(LinuxSocket socket, boolean listener) {
            this.socket = socket;
            this.listener = listener;
        }

        @Override
        public FileDescriptor fd() {
            return socket;
        }

        @Override
        public void handle(IoRegistration ioRegistration, IoEvent event) {
            int events = ((EpollIoEvent) event).ops().value();
            endpoint.ready(((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0 ? READABLE : 0)
                    | ((events & (EPOLLRDHUP | EPOLLHUP)) != 0 ? PEER_SHUTDOWN : 0)
                    | ((events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0 ? WRITABLE : 0));
        }

        @Override
        public void close() throws IOException {
            // Netty calls this only for registrations still open when the loop is destroyed.
            socket.close();
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    /** recv(2) calls so far, for tests to show which reads the core skips. */
    long receiveCalls() {
        return receiveCalls;
    }

    @Override
    public Socket listen(InetSocketAddress address, boolean ipv6, int backlog) throws IOException {
        LinuxSocket socket;
        try {
            socket = LinuxSocket.newSocketStream(ipv6);
        } catch (RuntimeException e) {
            // ChannelException wrapping the errno, e.g. EMFILE
            throw e.getCause() instanceof IOException io ? typed("socket", io) : new IOException("socket() failed", e);
        }
        boolean listening = false;
        try {
            socket.setReuseAddress(true);
            socket.bind(address);
            socket.listen(backlog);
            listening = true;
            return new Socket(socket, true);
        } catch (IOException e) {
            throw typed("bind", e);
        } finally {
            if (!listening) {
                closeQuietly(socket);
            }
        }
    }

    @Override
    public Socket accept(Socket listener) throws IOException {
        while (true) {
            int fd;
            try {
                fd = listener.socket.accept(acceptedAddress);
            } catch (IOException e) {
                throw typed("accept", e);
            }
            if (fd < 0) {
                return null;
            }
            LinuxSocket socket = LinuxSocket.newSocket(fd);
            try {
                socket.setTcpNoDelay(true);
                return new Socket(socket, false);
            } catch (IOException e) {
                // The peer is typically gone already; that is its connection's problem, not the listener's.
                LOG.atDebug().setCause(e).log("dropping a connection that could not be set up");
                closeQuietly(socket);
            }
        }
    }

    @Override
    public void register(Socket socket, Endpoint<Socket> endpoint) throws IOException {
        socket.endpoint = endpoint;
        Future<IoRegistration> registered = loop.register(socket);
        if (!registered.isSuccess()) {
            throw new IOException("cannot register with epoll: " + registered.cause(), registered.cause());
        }
        socket.registration = registered.getNow();
        // The first submit is EPOLL_CTL_ADD, which reports what is ready already.
        submit(socket, socket.listener ? LISTENER_OPS : CONNECTION_OPS);
    }

    @Override
    public void interest(Socket socket, int interest) throws IOException {
        // READ is registered for life (edge-triggered); only EPOLLOUT comes and goes.
        if (!socket.listener) {
            EpollIoOps wanted = (interest & WRITE) != 0 ? CONNECTION_WRITE_OPS : CONNECTION_OPS;
            if (wanted != socket.ops) {
                submit(socket, wanted);
            }
        }
    }

    @Override
    public int receive(Socket socket, ByteBuffer dst) throws IOException {
        receiveCalls++;
        try {
            return socket.socket.recv(dst, dst.position(), dst.limit());
        } catch (IOException e) {
            throw typed("recv", e);
        } catch (NotYetConnectedException e) {
            throw BackendException.ofErrno("recv", 107, e); // ENOTCONN
        }
    }

    @Override
    public int send(Socket socket, ByteBuffer src) throws IOException {
        int n;
        try {
            n = socket.socket.send(src, src.position(), src.limit());
        } catch (IOException e) {
            throw typed("send", e);
        } catch (NotYetConnectedException e) {
            throw BackendException.ofErrno("send", 107, e); // ENOTCONN
        }
        src.position(src.position() + n);
        return n;
    }

    @Override
    public InetSocketAddress localAddress(Socket socket) throws IOException {
        InetSocketAddress address = socket.socket.localAddress();
        if (address == null) {
            throw new IOException("getsockname failed");
        }
        return address;
    }

    @Override
    public void close(Socket socket) {
        // close(2) first: the last reference to the socket leaves the epoll set by itself, so the
        // cancel below finds the fd closed and skips its EPOLL_CTL_DEL.
        closeQuietly(socket.socket);
        if (socket.registration != null) {
            socket.registration.cancel();
        }
    }

    /**
     * Runs the Netty loop, which reports edges to the endpoints. {@code run(0)} blocks forever and a
     * negative value does not block; a positive timeout is exact to the nanosecond with
     * {@code epoll_pwait2} (Linux 5.11+), but Netty falls back to millisecond {@code epoll_wait},
     * truncating, on older kernels: waiting again for what is left keeps a timer deadline from
     * ever being reached early.
     */
    @Override
    public void await(long timeoutNanos) {
        if (timeoutNanos <= 0) {
            loop.run(timeoutNanos == Backend.NO_WAIT ? -1 : 0);
            loop.clearWakeup();
            return;
        }
        long deadline = System.nanoTime() + timeoutNanos;
        for (long remaining = timeoutNanos; remaining > 0; remaining = deadline - System.nanoTime()) {
            boolean events = loop.run(remaining) > 0;
            if (loop.clearWakeup() || events) {
                return;
            }
        }
    }

    @Override
    public void wakeup() {
        loop.requestWakeup();
    }

    @Override
    public void close() {
        loop.shutdownGracefully(0, 0, TimeUnit.NANOSECONDS);
        // Termination runs on the owner thread: it closes the epoll, event and timer descriptors.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!loop.isTerminated() && System.nanoTime() < deadline) {
            loop.runNow();
        }
        if (!loop.isTerminated()) {
            LOG.atWarn().log("the epoll loop did not terminate; its descriptors may leak");
        }
    }

    private static void submit(Socket socket, EpollIoOps ops) throws IOException {
        try {
            socket.registration.submit(ops); // the first submit is EPOLL_CTL_ADD, later ones EPOLL_CTL_MOD
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        socket.ops = ops;
    }

    /** Netty's native errors carry the errno: keep it rather than recognise the message. */
    private static IOException typed(String operation, IOException e) {
        return e instanceof Errors.NativeIoException n && n.expectedErr() != 0 ? BackendException.ofErrno(operation, n.expectedErr(), e) : e;
    }

    private static void closeQuietly(LinuxSocket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            LOG.atDebug().setCause(e).log("close failed");
        }
    }
}
