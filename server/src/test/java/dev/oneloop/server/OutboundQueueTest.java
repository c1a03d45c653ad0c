package dev.oneloop.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OutboundQueueTest {

    private final ChunkPool pool = new ChunkPool(64, 16);
    private final OutboundQueue queue = new OutboundQueue(pool);

    @Test
    void deliversAppendedBytesInOrderAcrossChunks() {
        Random random = new Random(7);
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        for (int round = 0; round < 500; round++) {
            byte[] data = new byte[random.nextInt(200)];
            random.nextBytes(data);
            if (random.nextBoolean()) {
                queue.append(ByteBuffer.wrap(data).asReadOnlyBuffer());
            } else {
                queue.append(data, 0, data.length);
            }
            sent.writeBytes(data);
            if (!queue.writeInFlight() && !queue.isEmpty() && random.nextBoolean()) {
                drainHead(written);
            }
        }
        while (!queue.isEmpty()) {
            drainHead(written);
        }
        assertThat(written.toByteArray()).isEqualTo(sent.toByteArray());
        assertThat(queue.size()).isZero();
    }

    @Test
    void neverAppendsToTheChunkInFlight() {
        queue.append(new byte[] {1, 2, 3}, 0, 3);
        ByteBuffer inFlight = queue.sealHead();
        queue.append(new byte[] {4, 5}, 0, 2);

        assertThat(inFlight.position()).isZero();
        assertThat(inFlight.limit()).isEqualTo(3);
        assertThat(queue.size()).isEqualTo(5);
        assertThatThrownBy(queue::sealHead).isInstanceOf(IllegalStateException.class);

        inFlight.position(inFlight.limit());
        queue.headWritten();
        ByteBuffer next = queue.sealHead();
        assertThat(next.remaining()).isEqualTo(2);
        assertThat(next.get(0)).isEqualTo((byte) 4);
    }

    @Test
    void reusesPooledChunksInSteadyState() {
        byte[] message = new byte[100];
        for (int i = 0; i < 1_000; i++) {
            queue.append(message, 0, message.length);
            while (!queue.isEmpty()) {
                drainHead(new ByteArrayOutputStream());
            }
        }
        assertThat(pool.allocated()).isLessThanOrEqualTo(3);
    }

    @Test
    void doesNotRecycleAChunkTheBackendStillOwnsWhenCleared() {
        queue.append(new byte[150], 0, 150); // three chunks of 64
        ByteBuffer inFlight = queue.sealHead();
        queue.clear();

        assertThat(queue.isEmpty()).isTrue();
        assertThat(pool.freeChunks()).isEqualTo(2);
        for (int i = 0; i < 3; i++) {
            assertThat(pool.take().buffer).isNotSameAs(inFlight);
        }
    }

    private void drainHead(ByteArrayOutputStream sink) {
        ByteBuffer head = queue.sealHead();
        byte[] bytes = new byte[head.remaining()];
        head.get(bytes);
        sink.writeBytes(bytes);
        queue.headWritten();
    }
}
