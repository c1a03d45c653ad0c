package dev.oneloop.backend.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.testing.RecordingHandler.Read;
import dev.oneloop.backend.testing.RecordingHandler.Written;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Backpressure: one receive per {@code read}, nothing delivered until re-armed, a write that waits
 * for a slow or stalled peer, one write in flight.
 * See {@link ContractSuite} for how the suites run.
 */
public abstract class BackpressureContract extends ContractSuite {

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
}
