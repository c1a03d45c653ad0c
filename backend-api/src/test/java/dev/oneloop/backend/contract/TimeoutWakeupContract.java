package dev.oneloop.backend.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.testing.Peer;
import dev.oneloop.backend.testing.RecordingHandler;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Timeouts and wake-ups of {@code poll}, driven from the test's own thread, and closing the whole
 * backend.
 * See {@link ContractSuite} for how the suites run.
 */
public abstract class TimeoutWakeupContract extends ContractSuite {

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
}
