package dev.oneloop.backend.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.Handles;
import dev.oneloop.backend.testing.BackendLoop;
import dev.oneloop.backend.testing.Peer;
import dev.oneloop.backend.testing.RecordingHandler.Eof;
import dev.oneloop.backend.testing.RecordingHandler.Failed;
import dev.oneloop.backend.testing.RecordingHandler.Read;
import dev.oneloop.backend.testing.RecordingHandler.Written;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Resets and close: a peer that resets, a handle closed with work pending or by an earlier
 * callback of the same turn.
 * See {@link ContractSuite} for how the suites run.
 */
public abstract class ResetCloseContract extends ContractSuite {

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
}
