package dev.oneloop.backend.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.Handles;
import dev.oneloop.backend.testing.EchoHandler;
import dev.oneloop.backend.testing.Peer;
import dev.oneloop.backend.testing.RecordingHandler.Accepted;
import dev.oneloop.backend.testing.RecordingHandler.Read;
import dev.oneloop.backend.testing.RecordingHandler.Written;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Echo and fragments: listening and accepting, reading what was sent in any fragmentation,
 * writing, callbacks only from {@code poll}, and many concurrent echo clients.
 * See {@link ContractSuite} for how the suites run.
 */
public abstract class EchoContract extends ContractSuite {

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
    void rejectsAHeapBuffer() throws Exception {
        startRecordingLoop(SMALL);
        Connection c = acceptOne(0);
        assertThatThrownBy(() -> loop.run(b -> b.write(c.handle, ByteBuffer.wrap(ascii("heap")))))
                .isInstanceOf(IllegalArgumentException.class);

        loop.run(b -> b.write(c.handle, direct(ascii("direct"))));
        assertThat(c.client.readExactly(6)).isEqualTo(ascii("direct"));
        recorder.awaitFirst(Written.class, c.handle, SOON);
    }

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
}
