package dev.oneloop.backend.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.Handles;
import dev.oneloop.backend.testing.Peer;
import dev.oneloop.backend.testing.RecordingHandler.AcceptFailed;
import dev.oneloop.backend.testing.RecordingHandler.Accepted;
import dev.oneloop.backend.testing.RecordingHandler.Event;
import dev.oneloop.backend.testing.RecordingHandler.Failed;
import dev.oneloop.backend.testing.RecordingHandler.Read;
import dev.oneloop.backend.testing.RecordingHandler.Written;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Handles: a reused slot gets a new generation, the old handle stays stale, and {@code maxHandles}
 * bounds what is accepted.
 * See {@link ContractSuite} for how the suites run.
 */
public abstract class HandlesContract extends ContractSuite {

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
}
