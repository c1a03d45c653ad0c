package dev.oneloop.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.management.ThreadMXBean;
import dev.oneloop.backend.testing.BackendLoop;
import dev.oneloop.backend.testing.EchoHandler;
import dev.oneloop.backend.testing.Peer;
import dev.oneloop.backend.testing.RecordingHandler;
import dev.oneloop.backend.testing.RecordingHandler.AcceptFailed;
import dev.oneloop.backend.testing.RecordingHandler.Accepted;
import dev.oneloop.backend.testing.RecordingHandler.Eof;
import dev.oneloop.backend.testing.RecordingHandler.Event;
import dev.oneloop.backend.testing.RecordingHandler.Failed;
import dev.oneloop.backend.testing.RecordingHandler.Read;
import dev.oneloop.backend.testing.RecordingHandler.Written;
import dev.oneloop.backend.testing.RequiredBackends;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;

/**
 * The behaviour every {@link Backend} must show, written once and run against each implementation
 * by a subclass that only names it (like Netty's {@code SocketEchoTest} per transport). Everything
 * runs over real loopback sockets with plain blocking clients.
 *
 * <p>Most tests drive the backend from a {@link BackendLoop}, a dedicated loop thread whose handler
 * wrapper also checks, for every callback of every test, that it is delivered from {@code poll}
 * only, on the loop thread, not nested in another callback, and never with an empty or writable
 * read view. The timeout tests drive {@code poll} from the test's own thread instead.
 *
 * <p>Besides the contract's plain statements, some tests target the classic bugs of each model:
 * readiness backends that stop reading before the socket is drained (edge-triggered), keep
 * interest in an event nobody asked for (a spinning loop), or deliver events of a key cancelled
 * earlier in the same turn; completion backends whose late completions for a closed handle reach
 * the connection that reused its slot.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = ThreadMode.SEPARATE_THREAD)
public abstract class BackendContractTest {

    private static final InetAddress LOOPBACK_V4 = loopback("127.0.0.1");
    private static final BackendConfig SMALL = new BackendConfig(64, 4096);
    /** Upper bound for something that must happen soon; generous, the machine is shared. */
    private static final Duration SOON = Duration.ofSeconds(10);
    /** How long a test watches for something that must not happen. */
    private static final Duration QUIET = Duration.ofMillis(300);
    /** Poll returns allowed during {@link #QUIET} with nothing to report; a spinning loop makes thousands. */
    private static final long IDLE_POLLS_ALLOWED = 20;
    /** Bigger than the loopback send buffer (tcp_wmem max) plus a small client window: the write cannot finish unread. */
    private static final int STALLING_WRITE_SIZE = 32 * 1024 * 1024;
    private static final int SMALL_WINDOW = 16 * 1024;

    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private BackendProvider provider;
    private BackendLoop loop;
    private RecordingHandler recorder;

    protected BackendContractTest() {
    }

    /** The {@link BackendProvider#name()} of the backend under test. */
    protected abstract String backendName();

    /**
     * Bytes the mechanism underneath the backend (not the backend's own code) allocates per
     * {@code poll}, which the steady-state allocation test then tolerates per poll, and only per
     * poll. Zero unless a subclass names an upstream cause.
     */
    protected long mechanismBytesPerPoll() {
        return 0;
    }

    /**
     * The provider the suite opens; by default the one {@link java.util.ServiceLoader} finds under
     * {@link #backendName()}. A backend that is not a service (a simulation) hands its own.
     */
    protected BackendProvider backendProvider() {
        return RequiredBackends.provider(backendName());
    }

    /**
     * How the suite's clients connect: real loopback sockets by default. A simulated network hands
     * peers of its own, which the same test bodies then drive.
     */
    protected Peer.Connector peers() {
        return Peer.Connector.LOOPBACK;
    }

    @BeforeEach
    void findBackend() {
        provider = backendProvider();
    }

    @AfterEach
    void closeEverything() throws Exception {
        Throwable first = null;
        while (!resources.isEmpty()) {
            try {
                resources.pop().close();
            } catch (Throwable t) {
                if (first == null) {
                    first = t;
                } else {
                    first.addSuppressed(t);
                }
            }
        }
        if (first instanceof Exception e) {
            throw e;
        }
        if (first instanceof Error e) {
            throw e;
        }
    }

    // ---------------------------------------------------------------- listen and accept

    @Test
    void listensOnAnEphemeralPortAndAcceptsAConnection() throws Exception {
        startRecordingLoop(SMALL);
        int listener = listen();
        InetSocketAddress address = address(listener);
        assertThat(address.getPort()).isPositive();
        assertThat(address.getAddress()).isEqualTo(LOOPBACK_V4);
        assertThat(openHandles()).isEqualTo(1);

        assertThatThrownBy(() -> loop.call(b -> b.listen(address, 16)))
                .as("binding a port that is in use").isInstanceOf(IOException.class);
        assertThat(openHandles()).as("a failed listen leaves no handle behind").isEqualTo(1);

        loop.run(b -> b.accept(listener));
        connect(address);
        int connection = recorder.awaitAccept(listener, SOON);
        assertThat(connection).isNotEqualTo(listener).isNotEqualTo(Handles.NONE);
        assertThat(openHandles()).isEqualTo(2);
        assertThat(loop.call(b -> b.localAddress(connection)).getPort()).isEqualTo(address.getPort());
    }

    @Test
    void listensAgainOnAPortWhoseClosedConnectionIsInTimeWait() throws Exception {
        startRecordingLoop(SMALL);
        Connection c = acceptOne(0);
        InetSocketAddress address = address(c.listener);
        loop.run(b -> b.close(c.handle)); // the server closes first, so its end enters TIME_WAIT
        assertThat(c.client.awaitClosedByPeer(SOON)).isTrue();
        c.client.close();
        loop.run(b -> b.close(c.listener));
        awaitNextPoll(); // a closed listener's port may be released only by the next poll (Backend#close)

        int again = loop.call(b -> b.listen(address, 16)); // EADDRINUSE without SO_REUSEADDR
        assertThat(address(again)).isEqualTo(address);
    }

    @Test
    void listensOnIpv6Loopback() throws Exception {
        InetAddress ipv6 = loopback("::1");
        assumeTrue(canBind(ipv6), "no IPv6 loopback on this machine");
        startRecordingLoop(SMALL);
        int listener = loop.call(b -> b.listen(new InetSocketAddress(ipv6, 0), 16));
        InetSocketAddress address = address(listener);
        assertThat(address.getAddress()).isEqualTo(ipv6);
        assertThat(address.getPort()).isPositive();
        loop.run(b -> b.accept(listener));

        Peer client = connect(address);
        int connection = recorder.awaitAccept(listener, SOON);
        loop.run(b -> b.read(connection));
        client.send(ascii("over ipv6"));
        assertThat(recorder.awaitBytes(connection, 9, SOON)).isEqualTo(ascii("over ipv6"));
    }

    @Test
    void acceptsEveryConnectionWaitingInTheBacklogOnceArmed() throws Exception {
        startRecordingLoop(SMALL);
        int listener = listen();
        InetSocketAddress address = address(listener);
        int waiting = 16;
        for (int i = 0; i < waiting; i++) {
            connect(address);
        }
        Thread.sleep(QUIET.toMillis());
        assertThat(recorder.count(Accepted.class)).as("accepted before accept() was called").isZero();

        loop.run(b -> {
            b.accept(listener);
            b.accept(listener); // idempotent while armed
        });
        Set<Integer> accepted = new HashSet<>();
        for (int i = 0; i < waiting; i++) {
            accepted.add(recorder.awaitAccept(listener, SOON));
        }
        assertThat(accepted).hasSize(waiting);
        assertThat(openHandles()).isEqualTo(waiting + 1);

        connect(address);
        assertThat(recorder.awaitAccept(listener, SOON)).as("acceptance stays armed").isNotIn(accepted);
        Thread.sleep(QUIET.toMillis());
        assertThat(recorder.count(Accepted.class)).as("each connection accepted once").isEqualTo(waiting + 1);
    }

    // ---------------------------------------------------------------- reading

    @Test
    void deliversExactlyTheBytesSentInOrderAcrossManyReads() throws Exception {
        BackendConfig config = new BackendConfig(16, 256);
        startRecordingLoop(config).rearmReads(true);
        Connection c = acceptOne(0);
        byte[] data = randomBytes(new SplittableRandom(1), 1024 * 1024);

        loop.run(b -> b.read(c.handle));
        c.client.sendInFragments(data, new SplittableRandom(2), 3000);

        assertThat(recorder.awaitBytes(c.handle, data.length, SOON)).isEqualTo(data);
        assertThat(recorder.events()).filteredOn(Read.class::isInstance).map(e -> ((Read) e).bytes().length)
                .as("no read is larger than readBufferSize").allMatch(n -> n <= config.readBufferSize());
    }

    @Test
    void drainsABurstMuchLargerThanTheReadBufferWithoutFurtherTraffic() throws Exception {
        // An edge-triggered backend that reads once per readiness edge stalls here: no new data and no
        // EOF arrive to raise another edge, yet 1024 receives' worth of bytes wait in the socket.
        startRecordingLoop(new BackendConfig(16, 256)).rearmReads(true);
        Connection c = acceptOne(0);
        byte[] burst = randomBytes(new SplittableRandom(3), 256 * 1024);
        loop.run(b -> b.read(c.handle));
        c.client.send(burst);
        assertThat(recorder.awaitBytes(c.handle, burst.length, SOON)).isEqualTo(burst);
    }

    @Test
    void stopsDeliveringUntilReadIsArmedAgainThenDeliversWhatWaited() throws Exception {
        BackendConfig config = new BackendConfig(16, 1024);
        startRecordingLoop(config);
        Connection c = acceptOne(0);
        byte[] data = randomBytes(new SplittableRandom(4), 64 * 1024);
        c.client.send(data);
        loop.run(b -> b.read(c.handle));
        recorder.awaitCount(e -> e instanceof Read, 1, "first read", SOON);

        long polls = loop.polls();
        Thread.sleep(QUIET.toMillis());
        assertThat(recorder.count(Read.class, c.handle)).as("reads delivered without read() being called again").isOne();
        assertThat(loop.polls() - polls).as("poll returns while nothing is armed (interest left on makes a loop spin)")
                .isLessThan(IDLE_POLLS_ALLOWED);

        // Re-arming from outside a callback, with the data already waiting and no new data coming:
        // an edge-triggered backend must still find it.
        for (int reads = 2; reads <= 5; reads++) {
            loop.run(b -> b.read(c.handle));
            recorder.awaitCount(e -> e instanceof Read, reads, "read after re-arming", SOON);
        }
        recorder.rearmReads(true);
        loop.run(b -> b.read(c.handle));
        assertThat(recorder.awaitBytes(c.handle, data.length, SOON)).isEqualTo(data);
    }

    @Test
    void ignoresReadWhileAReceiveIsArmed() throws Exception {
        startRecordingLoop(SMALL);
        Connection c = acceptOne(0);
        loop.run(b -> {
            b.read(c.handle);
            b.read(c.handle);
            b.read(c.handle);
        });
        c.client.send(ascii("first"));
        assertThat(recorder.awaitBytes(c.handle, 5, SOON)).isEqualTo(ascii("first"));

        c.client.send(ascii("second"));
        Thread.sleep(QUIET.toMillis());
        assertThat(recorder.count(Read.class, c.handle)).as("receives armed by three read() calls").isOne();

        loop.run(b -> b.read(c.handle));
        assertThat(recorder.awaitBytes(c.handle, 11, SOON)).isEqualTo(ascii("firstsecond"));
    }

    // ---------------------------------------------------------------- writing

    @Test
    void writesALargeBufferCompletelyToASlowReader() throws Exception {
        startRecordingLoop(SMALL);
        Connection c = acceptOne(SMALL_WINDOW);
        byte[] data = randomBytes(new SplittableRandom(5), 8 * 1024 * 1024);
        ByteBuffer src = direct(data);

        loop.run(b -> b.write(c.handle, src));
        byte[] received = new byte[data.length];
        byte[] chunk = new byte[64 * 1024];
        int offset = 0;
        for (int reads = 1; offset < data.length; reads++) {
            int n = c.client.read(chunk, data.length - offset);
            assertThat(n).as("end of stream after %d bytes", offset).isPositive();
            System.arraycopy(chunk, 0, received, offset, n);
            offset += n;
            if (reads % 8 == 0) {
                Thread.sleep(1);
            }
        }
        assertThat(received).isEqualTo(data);

        recorder.awaitFirst(Written.class, c.handle, SOON);
        Thread.sleep(QUIET.toMillis());
        assertThat(recorder.count(Written.class, c.handle)).isOne();
        int position = loop.call(b -> src.position());
        assertThat(position).as("position of the written buffer").isEqualTo(src.limit());
    }

    @Test
    void rejectsASecondWriteWhileOneIsInFlight() throws Exception {
        startRecordingLoop(SMALL);
        Connection c = acceptOne(SMALL_WINDOW);
        ByteBuffer first = direct(ascii("first"));
        ByteBuffer refused = direct(ascii("refused"));

        // In flight from write() until onWritten, even when the bytes went out at once.
        loop.run(b -> {
            b.write(c.handle, first);
            assertThatThrownBy(() -> b.write(c.handle, refused)).isInstanceOf(IllegalStateException.class);
        });
        assertThat(c.client.readExactly(5)).isEqualTo(ascii("first"));
        recorder.awaitFirst(Written.class, c.handle, SOON);

        byte[] stallingBytes = randomBytes(new SplittableRandom(6), STALLING_WRITE_SIZE);
        ByteBuffer stalling = direct(stallingBytes);
        loop.run(b -> b.write(c.handle, stalling));
        Thread.sleep(QUIET.toMillis());
        assertThat(recorder.count(Written.class, c.handle)).as("a write to a peer that does not read finished").isOne();
        assertThatThrownBy(() -> loop.run(b -> b.write(c.handle, direct(ascii("refused")))))
                .isInstanceOf(IllegalStateException.class);

        byte[] received = c.client.readExactly(STALLING_WRITE_SIZE);
        assertThat(received).as("the stalled write, and nothing refused before it").isEqualTo(stallingBytes);
        recorder.awaitCount(e -> e instanceof Written, 2, "onWritten", SOON);

        ByteBuffer last = direct(ascii("last"));
        loop.run(b -> b.write(c.handle, last));
        assertThat(c.client.readExactly(4)).as("the next bytes after both writes").isEqualTo(ascii("last"));
    }

    @Test
    void rejectsAHeapBuffer() throws Exception {
        startRecordingLoop(SMALL);
        Connection c = acceptOne(0);
        assertThatThrownBy(() -> loop.run(b -> b.write(c.handle, ByteBuffer.wrap(ascii("heap")))))
                .isInstanceOf(IllegalArgumentException.class);

        loop.run(b -> b.write(c.handle, direct(ascii("direct"))));
        assertThat(c.client.readExactly(6)).isEqualTo(ascii("direct"));
        recorder.awaitFirst(Written.class, c.handle, SOON);
    }

    // ---------------------------------------------------------------- callbacks only from poll

    @Test
    void deliversCallbacksOnlyFromPollNeverFromTheCallThatStartedTheOperation() throws Exception {
        startRecordingLoop(new BackendConfig(16, 64));
        int listener = listen();
        Peer client = connect(address(listener));
        Thread.sleep(50); // the connection waits in the backlog, so accept() could find it at once

        loop.run(b -> b.accept(listener));
        int connection = recorder.awaitAccept(listener, SOON);

        client.send(ascii("ping"));
        Thread.sleep(50); // the bytes wait in the socket, so read() could find them at once
        loop.run(b -> b.read(connection));
        recorder.awaitBytes(connection, 4, SOON);

        loop.run(b -> {
            b.write(connection, direct(ascii("pong"))); // fits the socket buffer: done at once
            assertThat(recorder.count(Written.class, connection)).as("onWritten delivered inside write()").isZero();
        });
        recorder.awaitFirst(Written.class, connection, SOON);
        assertThat(client.readExactly(4)).isEqualTo(ascii("pong"));

        // From inside callbacks: re-arm while more bytes than one receive takes already wait, and write.
        AtomicBoolean wroteFromCallback = new AtomicBoolean();
        recorder.reaction((b, event) -> {
            if (event instanceof Read read && read.connection() == connection) {
                b.read(connection);
                if (wroteFromCallback.compareAndSet(false, true)) {
                    b.write(connection, direct(ascii("from a callback")));
                }
            }
        });
        byte[] more = randomBytes(new SplittableRandom(13), 1000);
        client.send(more);
        Thread.sleep(50);
        loop.run(b -> b.read(connection));
        recorder.awaitBytes(connection, 4 + more.length, SOON);
        assertThat(client.readExactly(15)).isEqualTo(ascii("from a callback"));
        recorder.awaitCount(e -> e instanceof Written, 2, "onWritten", SOON);
        assertThat(recorder.count(Read.class, connection)).as("reads of 1000 bytes with a 64-byte buffer").isGreaterThan(10);

        loop.assertNoViolations();
    }

    // ---------------------------------------------------------------- end of stream, errors

    @Test
    void reportsEndOfStreamOnceAndStillWritesAfterThePeerHalfCloses() throws Exception {
        startRecordingLoop(SMALL).rearmReads(true);
        Connection c = acceptOne(0);
        loop.run(b -> b.read(c.handle));
        c.client.send(ascii("hello, "));
        c.client.send(ascii("world"));
        c.client.shutdownOutput();

        recorder.awaitFirst(Eof.class, c.handle, SOON);
        assertThat(recorder.bytesRead(c.handle)).isEqualTo(ascii("hello, world"));
        long polls = loop.polls();
        Thread.sleep(QUIET.toMillis());
        assertThat(recorder.count(Eof.class, c.handle)).isOne();
        assertThat(loop.polls() - polls).as("poll returns while idle after end of stream (a loop spinning on EOF)")
                .isLessThan(IDLE_POLLS_ALLOWED);
        List<Event> events = recorder.events();
        assertThat(events.subList(events.indexOf(new Eof(c.handle)) + 1, events.size())).as("events after onEof").isEmpty();

        loop.run(b -> b.write(c.handle, direct(ascii("bye"))));
        assertThat(c.client.readExactly(3)).isEqualTo(ascii("bye"));
        recorder.awaitFirst(Written.class, c.handle, SOON);
        assertThat(recorder.count(Failed.class)).isZero();
    }

    @Test
    void reportsAnErrorWhenThePeerResetsWhileAReadIsArmed() throws Exception {
        startRecordingLoop(SMALL);
        int listener = listen();
        loop.run(b -> b.accept(listener));
        Peer client = connect(address(listener));
        int connection = recorder.awaitAccept(listener, SOON);
        loop.run(b -> b.read(connection));
        client.reset();

        Failed failed = recorder.awaitFirst(Failed.class, connection, SOON);
        assertThat(failed.error()).isNotNull();
        assertThat(recorder.count(Eof.class, connection)).as("a reset reported as end of stream").isZero();
        loop.run(b -> b.close(connection));
        assertThat(openHandles()).isEqualTo(1);

        assertStillServes(listener);
    }

    @Test
    void reportsOneErrorWhenThePeerResetsDuringALargeWriteWithAReadArmed() throws Exception {
        startRecordingLoop(SMALL).closeOnError(true);
        int listener = listen();
        loop.run(b -> b.accept(listener));
        Peer client = connect(address(listener), SMALL_WINDOW);
        int connection = recorder.awaitAccept(listener, SOON);
        ByteBuffer stalling = direct(randomBytes(new SplittableRandom(7), STALLING_WRITE_SIZE));
        loop.run(b -> {
            b.read(connection);
            b.write(connection, stalling);
        });
        client.readExactly(64 * 1024); // the write is flowing, and stalls once the window is full
        Thread.sleep(100);
        assertThat(recorder.count(Written.class, connection)).isZero();

        client.reset();
        recorder.awaitFirst(Failed.class, connection, SOON);
        Thread.sleep(QUIET.toMillis());
        assertThat(recorder.count(Failed.class, connection)).as("onError after the handler closed on the first").isOne();
        assertThat(recorder.count(Written.class, connection)).isZero();
        assertThat(recorder.eventsAfterClose(connection)).isEmpty();
        assertThat(openHandles()).isEqualTo(1);

        assertStillServes(listener);
    }

    // ---------------------------------------------------------------- close

    @Test
    void closeSendsEndOfStreamAtOnceAndMakesTheHandleStale() throws Exception {
        startRecordingLoop(SMALL);
        Connection c = acceptOne(0);
        assertThat(openHandles()).isEqualTo(2);

        loop.run(b -> b.close(c.handle));
        long start = System.nanoTime();
        assertThat(c.client.awaitClosedByPeer(SOON)).as("the peer sees the close").isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        assertThat(openHandles()).isEqualTo(1);

        assertThatThrownBy(() -> loop.run(b -> b.read(c.handle))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> loop.run(b -> b.write(c.handle, direct(ascii("stale")))))
                .isInstanceOf(IllegalStateException.class);
        loop.run(b -> {
            b.close(c.handle);
            b.close(c.handle);
        });
        assertThat(openHandles()).isEqualTo(1);

        loop.run(b -> b.close(c.listener));
        assertThatThrownBy(() -> loop.run(b -> b.accept(c.listener))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> loop.run(b -> b.read(Handles.of(Handles.MAX_SLOTS - 1, 0))))
                .as("a handle never issued").isInstanceOf(IllegalStateException.class);
        assertThat(openHandles()).isZero();
    }

    @Test
    void deliversNoCallbackForAHandleAfterCloseEvenWithDataAndAWritePending() throws Exception {
        startRecordingLoop(new BackendConfig(16, 1024)).rearmReads(true);
        Connection c = acceptOne(SMALL_WINDOW);
        AtomicBoolean streaming = new AtomicBoolean(true);
        Thread sender = Thread.ofPlatform().daemon().start(() -> {
            byte[] chunk = randomBytes(new SplittableRandom(8), 4096);
            try {
                while (streaming.get()) {
                    c.client.send(chunk);
                }
            } catch (IOException expected) {
                // the server closed the connection
            }
        });
        resources.push(() -> {
            streaming.set(false);
            sender.join(SOON.toMillis());
        });
        loop.run(b -> b.read(c.handle));
        recorder.awaitBytes(c.handle, 64 * 1024, SOON);
        loop.run(b -> b.write(c.handle, direct(randomBytes(new SplittableRandom(9), STALLING_WRITE_SIZE))));
        Thread.sleep(50);

        loop.run(b -> {
            b.close(c.handle);
            recorder.markClosed(c.handle);
        });
        assertThat(c.client.awaitClosedByPeer(SOON)).isTrue();
        Thread.sleep(QUIET.toMillis());
        assertThat(recorder.eventsAfterClose(c.handle)).isEmpty();
        assertThat(recorder.count(Written.class)).isZero();
        assertThat(openHandles()).isEqualTo(1);
    }

    @Test
    void dropsReadsOfAConnectionClosedByAnEarlierCallbackOfTheSameTurn() throws Exception {
        startRecordingLoop(SMALL);
        Connection a = acceptOne(0);
        int listener = a.listener;
        Peer clientB = connect(address(listener));
        int b = recorder.awaitAccept(listener, SOON);
        AtomicInteger closedByCallback = new AtomicInteger(Handles.NONE);
        recorder.reaction((backend, event) -> {
            if (event instanceof Read read && closedByCallback.get() == Handles.NONE) {
                int other = read.connection() == a.handle ? b : a.handle;
                backend.close(other);
                recorder.markClosed(other);
                closedByCallback.set(other);
            }
        });
        loop.run(backend -> {
            backend.read(a.handle);
            backend.read(b);
        });
        BackendLoop.Pause paused = loop.pause();
        try {
            a.client.send(ascii("from a"));
            clientB.send(ascii("from b"));
            Thread.sleep(100); // both become readable before the next poll
        } finally {
            paused.close();
        }
        recorder.awaitCount(e -> e instanceof Read, 1, "read", SOON);
        Thread.sleep(QUIET.toMillis());
        assertThat(recorder.eventsAfterClose(closedByCallback.get())).isEmpty();
        assertThat(recorder.count(Read.class)).isOne();
    }

    @Test
    void dropsWriteCompletionsOfAConnectionClosedByAnEarlierCallbackOfTheSameTurn() throws Exception {
        startRecordingLoop(SMALL);
        Connection a = acceptOne(0);
        Peer clientB = connect(address(a.listener));
        int b = recorder.awaitAccept(a.listener, SOON);
        AtomicInteger closedByCallback = new AtomicInteger(Handles.NONE);
        recorder.reaction((backend, event) -> {
            if (event instanceof Written written && closedByCallback.get() == Handles.NONE) {
                int other = written.connection() == a.handle ? b : a.handle;
                backend.close(other);
                recorder.markClosed(other);
                closedByCallback.set(other);
            }
        });
        loop.run(backend -> {
            backend.write(a.handle, direct(ascii("to a")));
            backend.write(b, direct(ascii("to b")));
        });
        recorder.awaitCount(e -> e instanceof Written, 1, "onWritten", SOON);
        Thread.sleep(QUIET.toMillis());
        assertThat(recorder.eventsAfterClose(closedByCallback.get())).isEmpty();
        assertThat(recorder.count(Written.class)).isOne();
        boolean aSurvived = closedByCallback.get() == b;
        Peer survivor = aSurvived ? a.client : clientB;
        assertThat(survivor.readExactly(4)).isEqualTo(ascii(aSurvived ? "to a" : "to b"));
    }

    // ---------------------------------------------------------------- handle reuse

    @Test
    void givesAConnectionThatReusesASlotANewHandleAndKeepsTheOldOneStale() throws Exception {
        startRecordingLoop(new BackendConfig(2, 4096)); // a listener and one connection: the slot must be reused
        Connection first = acceptOne(0);
        loop.run(b -> b.close(first.handle));
        assertThat(first.client.awaitClosedByPeer(SOON)).isTrue();

        Peer client = connect(address(first.listener));
        int second = recorder.awaitAccept(first.listener, SOON);
        assertThat(Handles.slot(second)).isEqualTo(Handles.slot(first.handle));
        assertThat(second).isNotEqualTo(first.handle);

        assertThatThrownBy(() -> loop.run(b -> b.read(first.handle))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> loop.run(b -> b.write(first.handle, direct(ascii("stale")))))
                .isInstanceOf(IllegalStateException.class);
        loop.run(b -> b.close(first.handle));
        assertThat(openHandles()).as("closing the stale handle closed its successor").isEqualTo(2);

        loop.run(b -> {
            b.write(second, direct(ascii("still here")));
            b.read(second);
        });
        assertThat(client.readExactly(10)).isEqualTo(ascii("still here"));
        client.send(ascii("and me"));
        assertThat(recorder.awaitBytes(second, 6, SOON)).isEqualTo(ascii("and me"));
    }

    @Test
    void neverDeliversAClosedConnectionsResultsToTheConnectionThatReusesItsSlot() throws Exception {
        // Each cycle closes a connection with a receive armed and a send in flight, then accepts the
        // next one, which a small table puts in the same slot whenever the old one is released.
        startRecordingLoop(new BackendConfig(3, 1024)).rearmReads(true);
        int listener = listen();
        loop.run(b -> b.accept(listener));
        InetSocketAddress address = address(listener);
        Map<Integer, Byte> tags = new HashMap<>();
        int reusedSlots = 0;
        int previous = Handles.NONE;
        for (int cycle = 0; cycle < 40; cycle++) {
            byte tag = (byte) (cycle + 1);
            try (Peer client = peers().connect(address, SMALL_WINDOW)) {
                int connection = recorder.awaitAccept(listener, SOON);
                assertThat(tags.put(connection, tag)).as("handle %s issued twice", Handles.toString(connection)).isNull();
                if (previous != Handles.NONE && Handles.slot(connection) == Handles.slot(previous)) {
                    reusedSlots++;
                }
                loop.run(b -> b.read(connection));
                client.send(filled(tag, 100));
                recorder.awaitBytes(connection, 100, SOON);
                ByteBuffer send = direct(filled(tag, 1024 * 1024));
                loop.run(b -> {
                    b.write(connection, send);
                    b.close(connection);
                    recorder.markClosed(connection);
                });
                try {
                    client.send(filled(tag, 100)); // may reach a receive the kernel has not cancelled yet
                } catch (IOException expected) {
                    // already reset by the close
                }
                previous = connection;
            }
        }
        Thread.sleep(QUIET.toMillis());

        for (Event event : recorder.events()) {
            switch (event) {
                case Read read -> {
                    byte tag = tags.get(read.connection());
                    assertThat(read.bytes()).as("bytes read on %s", Handles.toString(read.connection())).containsOnly(tag);
                }
                case Failed failed -> throw new AssertionError("unexpected " + failed, failed.error());
                case Written written -> throw new AssertionError("a write closed before any poll completed: " + written);
                default -> {
                }
            }
        }
        for (int handle : tags.keySet()) {
            assertThat(recorder.eventsAfterClose(handle)).as("events after close of %s", Handles.toString(handle)).isEmpty();
        }
        assertThat(reusedSlots).as("cycles whose connection reused the previous one's slot").isPositive();
        assertThat(openHandles()).isEqualTo(1);
    }

    // ---------------------------------------------------------------- maxHandles

    @Test
    void closesConnectionsBeyondMaxHandlesAndStopsAcceptingUntilArmedAgain() throws Exception {
        startRecordingLoop(new BackendConfig(2, 4096)); // the listener and one connection
        Connection first = acceptOne(0);
        InetSocketAddress address = address(first.listener);

        Peer rejected = connect(address);
        AcceptFailed failure = recorder.awaitFirst(AcceptFailed.class, first.listener, SOON);
        assertThat(failure.error()).isNotNull();
        assertThat(rejected.awaitClosedByPeer(SOON)).as("the connection over the limit is closed at once").isTrue();
        assertThat(openHandles()).isEqualTo(2);

        Peer waiting = connect(address);
        Thread.sleep(QUIET.toMillis());
        assertThat(recorder.count(Accepted.class)).as("accepted while acceptance was disarmed").isOne();
        assertThat(recorder.count(AcceptFailed.class)).as("accept errors while disarmed").isOne();
        assertThat(waiting.awaitClosedByPeer(Duration.ofMillis(100))).as("closed while waiting in the backlog").isFalse();

        loop.run(b -> {
            b.close(first.handle);
            b.accept(first.listener);
        });
        int connection = recorder.awaitAccept(first.listener, SOON);
        loop.run(b -> b.write(connection, direct(ascii("welcome"))));
        assertThat(waiting.readExactly(7)).isEqualTo(ascii("welcome"));
    }

    // ---------------------------------------------------------------- poll timeouts and wakeup

    @Test
    void pollWithNoWaitReturnsAtOnce() throws Exception {
        onThisThread(backend -> {
            RecordingHandler handler = new RecordingHandler(backend);
            for (int i = 0; i < 100; i++) {
                long start = System.nanoTime();
                assertThat(backend.poll(Backend.NO_WAIT, handler)).isZero();
                assertThat(Duration.ofNanos(System.nanoTime() - start)).as("poll(NO_WAIT)").isLessThan(Duration.ofMillis(500));
            }
        });
    }

    @Test
    void pollNeverReturnsBeforeItsTimeoutNorMuchAfter() throws Exception {
        onThisThread(backend -> {
            RecordingHandler handler = new RecordingHandler(backend);
            backend.poll(Backend.NO_WAIT, handler); // whatever the backend set up for itself
            // Sub-millisecond parts catch truncation to the mechanism's resolution; 0.5 ms catches a
            // truncation to 0, which means "forever" to Selector.select and epoll_wait alike.
            long[] timeouts = {50_000_000, 50_500_000, 20_000_001, 500_000, 1};
            for (long timeout : timeouts) {
                long start = System.nanoTime();
                int delivered = backend.poll(timeout, handler);
                long elapsed = System.nanoTime() - start;
                assertThat(delivered).as("callbacks from an idle backend").isZero();
                assertThat(elapsed).as("poll(%d ns) took %d ns", timeout, elapsed)
                        .isGreaterThanOrEqualTo(timeout)
                        .isLessThan(timeout + Duration.ofSeconds(1).toNanos());
            }
        });
    }

    @Test
    void pollWaitingForeverReturnsAfterAWakeupFromAnotherThread() throws Exception {
        onThisThread(backend -> {
            RecordingHandler handler = new RecordingHandler(backend);
            AtomicLong wokenAt = new AtomicLong();
            Thread waker = Thread.ofPlatform().daemon().start(() -> {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
                wokenAt.set(System.nanoTime());
                backend.wakeup();
        });
        int returnsBeforeWakeup = 0;
        long returned;
        do {
            backend.poll(Backend.WAIT_FOREVER, handler);
            returned = System.nanoTime();
            if (wokenAt.get() == 0) {
                returnsBeforeWakeup++;
            }
        } while (wokenAt.get() == 0 && returnsBeforeWakeup < 1000);
        waker.join();
        assertThat(returnsBeforeWakeup).as("poll(WAIT_FOREVER) returns before any wakeup (not waiting at all?)").isLessThan(5);
        assertThat(Duration.ofNanos(returned - wokenAt.get())).as("from wakeup() to poll returning").isLessThan(Duration.ofSeconds(2));
        assertThat(handler.events()).as("callbacks from an idle backend").isEmpty();
        });
    }

    @Test
    void wakeupBeforePollMakesTheNextPollReturnAtOnce() throws Exception {
        onThisThread(backend -> {
            RecordingHandler handler = new RecordingHandler(backend);
            Thread waker = Thread.ofPlatform().start(backend::wakeup);
            waker.join();
            long start = System.nanoTime();
            backend.poll(Duration.ofSeconds(30).toNanos(), handler);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));

            backend.wakeup();
            start = System.nanoTime();
            backend.poll(Backend.WAIT_FOREVER, handler);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("after a wakeup() on the loop thread itself")
                    .isLessThan(Duration.ofSeconds(2));
            assertThat(handler.events()).isEmpty();
        });
    }

    // ---------------------------------------------------------------- closing the backend

    @Test
    void closingTheBackendClosesEveryHandle() throws Exception {
        startRecordingLoop(SMALL);
        int listener = listen();
        InetSocketAddress address = address(listener);
        loop.run(b -> b.accept(listener));
        List<Peer> clients = new ArrayList<>();
        List<Integer> connections = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            clients.add(connect(address, SMALL_WINDOW));
            connections.add(recorder.awaitAccept(listener, SOON));
        }
        loop.run(b -> {
            b.read(connections.get(1));
            b.write(connections.get(2), direct(randomBytes(new SplittableRandom(10), STALLING_WRITE_SIZE)));
        });

        loop.close();
        for (Peer client : clients) {
            assertThat(client.awaitClosedByPeer(SOON)).isTrue();
        }
        assertThatThrownBy(() -> peers().connect(address, 0).close()).as("connecting to the closed listener")
                .isInstanceOf(ConnectException.class);
    }

    // ---------------------------------------------------------------- load and allocation

    @Test
    void echoesToEachOfManyConcurrentClientsExactlyItsOwnBytes() throws Exception {
        BackendConfig config = new BackendConfig(256, 4096);
        EchoHandler echo = startEchoLoop(config);
        int listener = listen();
        loop.run(b -> b.accept(listener));
        InetSocketAddress address = address(listener);

        int clients = 100;
        SplittableRandom seeds = new SplittableRandom(11);
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> results = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                SplittableRandom random = seeds.split();
                byte[] data = randomBytes(random, 1 + random.nextInt(128 * 1024));
                results.add(threads.submit(() -> {
                    try (Peer client = peers().connect(address, 0)) {
                        Future<byte[]> echoed = threads.submit(client::readToEnd);
                        client.sendInFragments(data, random, 8192);
                        client.shutdownOutput();
                        assertThat(echoed.get(SOON.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(data);
                    }
                    return null;
                }));
            }
            for (Future<?> result : results) {
                result.get(30, TimeUnit.SECONDS);
            }
        }
        assertThat(echo.lastAcceptError()).isNull();
        long deadline = System.nanoTime() + SOON.toNanos();
        while (openHandles() > 1 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(openHandles()).as("handles left after every client finished").isEqualTo(1);
    }

    /** Protected so that a backend that is not a real socket backend can skip it with its reason. */
    @Test
    protected void allocatesNothingPerMessageInSteadyState() throws Exception {
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(),
                "per-thread allocation counters unavailable");
        BackendConfig config = new BackendConfig(8, 1024);
        startEchoLoop(config);
        int listener = listen();
        loop.run(b -> b.accept(listener));
        try (Socket client = new Socket()) {
            client.setTcpNoDelay(true);
            client.setSoTimeout((int) SOON.toMillis());
            client.connect(address(listener));
            byte[] message = randomBytes(new SplittableRandom(12), 64);
            byte[] reply = new byte[message.length];
            int messages = 20_000;

            roundTrips(client, message, reply, messages); // warm-up: class loading, JIT, buffers per slot
            long threadId = loop.thread().threadId();
            long pollsBefore = loop.polls();
            long before = threads.getThreadAllocatedBytes(threadId);
            roundTrips(client, message, reply, messages);
            long allocated = threads.getThreadAllocatedBytes(threadId) - before;
            long polls = loop.polls() - pollsBefore;

            assertThat(reply).isEqualTo(message);
            long tolerated = messages + 16 * 1024 + polls * mechanismBytesPerPoll();
            assertThat(allocated).as("bytes allocated on the loop thread for %d echoed messages in %d polls", messages, polls)
                    .isLessThan(tolerated);
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Waits until the loop thread has returned from a poll that began after this call. */
    private void awaitNextPoll() throws Exception {
        long target = loop.polls() + 2;
        long deadline = System.nanoTime() + SOON.toNanos();
        while (loop.polls() < target) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the loop did not poll within " + SOON);
            }
            loop.run(b -> { }); // wakes the loop, so that it polls again
        }
    }

    private static void roundTrips(Socket client, byte[] message, byte[] reply, int count) throws IOException {
        for (int i = 0; i < count; i++) {
            client.getOutputStream().write(message);
            int offset = 0;
            while (offset < reply.length) {
                int n = client.getInputStream().read(reply, offset, reply.length - offset);
                if (n < 0) {
                    throw new IOException("end of stream after " + i + " round trips");
                }
                offset += n;
            }
        }
    }

    private RecordingHandler startRecordingLoop(BackendConfig config) throws Exception {
        startLoop(config, backend -> recorder = new RecordingHandler(backend));
        return recorder;
    }

    private EchoHandler startEchoLoop(BackendConfig config) throws Exception {
        EchoHandler[] echo = new EchoHandler[1];
        startLoop(config, backend -> echo[0] = new EchoHandler(backend, config));
        return echo[0];
    }

    private void startLoop(BackendConfig config, BackendLoop.HandlerFactory handlers) throws Exception {
        try {
            loop = BackendLoop.start(provider, config, handlers);
        } catch (IOException | RuntimeException | LinkageError e) {
            throw RequiredBackends.unavailable(backendName(), e);
        }
        resources.push(loop);
    }

    @FunctionalInterface
    private interface OnThisThread {
        void run(Backend backend) throws Exception;
    }

    /** Opens the backend on the test's own thread, which then drives {@code poll} itself. */
    private void onThisThread(OnThisThread test) throws Exception {
        Backend backend;
        try {
            backend = provider.open(SMALL);
        } catch (IOException | RuntimeException | LinkageError e) {
            throw RequiredBackends.unavailable(backendName(), e);
        }
        SafetyNet net = new SafetyNet(backend, Duration.ofSeconds(5));
        try {
            test.run(backend);
        } finally {
            net.close();
            backend.close();
        }
    }

    private int listen() throws Exception {
        return loop.call(b -> b.listen(new InetSocketAddress(LOOPBACK_V4, 0), 128));
    }

    private InetSocketAddress address(int handle) throws Exception {
        return loop.call(b -> b.localAddress(handle));
    }

    private int openHandles() throws Exception {
        return loop.call(Backend::openHandles);
    }

    private Peer connect(InetSocketAddress address) throws IOException {
        return connect(address, 0);
    }

    private Peer connect(InetSocketAddress address, int receiveBufferSize) throws IOException {
        Peer client = peers().connect(address, receiveBufferSize);
        resources.push(client);
        return client;
    }

    /** A client and the connection the backend accepted for it. */
    private record Connection(int listener, int handle, Peer client) {
    }

    /** Listens, arms acceptance, connects one client and waits for its connection. */
    private Connection acceptOne(int receiveBufferSize) throws Exception {
        int listener = listen();
        loop.run(b -> b.accept(listener));
        Peer client = connect(address(listener), receiveBufferSize);
        return new Connection(listener, recorder.awaitAccept(listener, SOON), client);
    }

    /** Checks that {@code listener} still accepts and its connections still read and write. */
    private void assertStillServes(int listener) throws Exception {
        Peer client = connect(address(listener));
        int connection = recorder.awaitAccept(listener, SOON);
        loop.run(b -> b.read(connection));
        client.send(ascii("still serving"));
        assertThat(recorder.awaitBytes(connection, 13, SOON)).isEqualTo(ascii("still serving"));
        loop.run(b -> b.write(connection, direct(ascii("yes"))));
        assertThat(client.readExactly(3)).isEqualTo(ascii("yes"));
    }

    /**
     * Keeps a broken {@code poll} from hanging a test driven on its own thread: from {@code delay}
     * on it calls {@code wakeup()} every 100 ms, so a poll that overshoots its timeout returns and
     * fails its timing check instead of reaching the test timeout.
     */
    private static final class SafetyNet {
        private final Thread thread;
        private volatile boolean done;

        SafetyNet(Backend backend, Duration delay) {
            thread = Thread.ofPlatform().daemon().name("safety-net").start(() -> {
                long deadline = System.nanoTime() + delay.toNanos();
                while (!done) {
                    try {
                        Thread.sleep(Math.max(1, Math.min(100, (deadline - System.nanoTime()) / 1_000_000)));
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (!done && System.nanoTime() >= deadline) {
                        backend.wakeup();
                    }
                }
            });
        }


        void close() {
            done = true;
            thread.interrupt();
        }
    }

    private static ByteBuffer direct(byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length);
        buffer.put(bytes).flip();
        return buffer;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] filled(byte value, int length) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, value);
        return bytes;
    }

    private static byte[] randomBytes(SplittableRandom random, int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i += 8) {
            long word = random.nextLong();
            for (int j = 0; j < 8 && i + j < length; j++) {
                bytes[i + j] = (byte) (word >>> (8 * j));
            }
        }
        return bytes;
    }

    private static InetAddress loopback(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new IllegalStateException(literal, e);
        }
    }

    private static boolean canBind(InetAddress address) {
        try {
            new ServerSocket(0, 1, address).close();
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
