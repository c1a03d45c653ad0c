package dev.oneloop.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OutboundQueueTest {

    private final ChunkPool pool = new ChunkPool(64, 16 * 64);
    private final StatusLines lines = new StatusLines(10_000);
    private final OutboundQueue queue = new OutboundQueue(pool, lines);

    @Test
    void deliversAppendedBytesInOrderAcrossChunks() {
        Random random = new Random(7);
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        for (int round = 0; round < 500; round++) {
            byte[] data = new byte[random.nextInt(200)];
            random.nextBytes(data);
            int kind = random.nextInt(5);
            if (kind == 0) {
                int count = random.nextInt(10_001);
                queue.appendStatusLine(count);
                data = statusLine(count);
            } else if (kind % 2 == 0) {
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

    @Test
    void queuesAStatusLineAsAReferenceWithoutTakingAChunk() {
        queue.appendStatusLine(9_999);
        queue.appendStatusLine(10_000);

        assertThat(pool.allocated()).isZero();
        assertThat(queue.size()).isEqualTo(statusLine(9_999).length + statusLine(10_000).length);
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        drainHead(written);
        drainHead(written);
        assertThat(written.toString(StandardCharsets.US_ASCII))
                .isEqualTo("Server status: 9999 active connections\nServer status: 10000 active connections\n");
        assertThat(queue.isEmpty()).isTrue();
    }

    @Test
    void putsAStatusLineBehindAPendingEchoNeverInsideIt() {
        byte[] echo = new byte[150];
        Arrays.fill(echo, (byte) 'x');
        queue.append(echo, 0, 100); // a 64-byte chunk and a 64-byte chunk filled to 36
        ByteBuffer inFlight = queue.sealHead();
        queue.appendStatusLine(7); // 28 bytes free in the tail chunk, too few for 36: a reference
        queue.append(echo, 100, 50);

        ByteArrayOutputStream written = new ByteArrayOutputStream();
        byte[] first = new byte[inFlight.remaining()];
        inFlight.get(first);
        written.writeBytes(first);
        queue.headWritten();
        while (!queue.isEmpty()) {
            drainHead(written);
        }
        assertThat(written.toString(StandardCharsets.US_ASCII))
                .isEqualTo("x".repeat(100) + "Server status: 7 active connections\n" + "x".repeat(50));
    }

    @Test
    void copiesAStatusLineIntoTheTailChunkWhenItFits() {
        ChunkPool bigPool = new ChunkPool(1024, 1 << 20);
        OutboundQueue big = new OutboundQueue(bigPool, lines);
        big.append(new byte[] {'a'}, 0, 1);
        big.appendStatusLine(3);

        ByteBuffer head = big.sealHead();
        assertThat(StandardCharsets.US_ASCII.decode(head).toString()).isEqualTo("aServer status: 3 active connections\n");
        big.headWritten();
        assertThat(big.isEmpty()).isTrue();
    }

    @Test
    void copiesStatusLinesIntoAChunkOnceTheSharedReferencesAreUsedUp() {
        for (int i = 0; i < 5; i++) {
            queue.appendStatusLine(i);
        }
        assertThat(pool.allocated()).isPositive();
        assertThat(queue.size()).as("copied lines count toward the backlog like referenced ones").isEqualTo(5 * 36);
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        while (!queue.isEmpty()) {
            drainHead(written);
        }
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            expected.append("Server status: ").append(i).append(" active connections\n");
        }
        assertThat(written.toString(StandardCharsets.US_ASCII)).isEqualTo(expected.toString());
    }

    @Test
    void takesASmallChunkForASmallEchoAndLargeOnesForALargeEcho() {
        ChunkPool sized = new ChunkPool(16 << 10, 1 << 20);
        OutboundQueue q = new OutboundQueue(sized, lines);
        q.append(new byte[36], 0, 36);
        ByteBuffer small = q.sealHead();
        assertThat(small.capacity()).isEqualTo(ChunkPool.SMALL_CHUNK_SIZE);
        small.position(small.limit());
        q.headWritten();

        q.append(new byte[40 << 10], 0, 40 << 10);
        ByteBuffer large = q.sealHead();
        assertThat(large.capacity()).isEqualTo(16 << 10);
        assertThat(large.remaining()).isEqualTo(16 << 10);
    }

    @Test
    void givesAStatusLineInFlightWhenClearedAFreshViewNotTheOneTheBackendHolds() {
        queue.appendStatusLine(42);
        ByteBuffer inFlight = queue.sealHead();
        queue.clear();
        queue.appendStatusLine(43);

        ByteBuffer next = queue.sealHead();
        assertThat(next).isNotSameAs(inFlight);
        assertThat(StandardCharsets.US_ASCII.decode(inFlight).toString()).isEqualTo("Server status: 42 active connections\n");
        assertThat(StandardCharsets.US_ASCII.decode(next).toString()).isEqualTo("Server status: 43 active connections\n");
    }

    private static byte[] statusLine(int count) {
        return ("Server status: " + count + " active connections\n").getBytes(StandardCharsets.US_ASCII);
    }

    private void drainHead(ByteArrayOutputStream sink) {
        ByteBuffer head = queue.sealHead();
        byte[] bytes = new byte[head.remaining()];
        head.get(bytes);
        sink.writeBytes(bytes);
        queue.headWritten();
    }
}
