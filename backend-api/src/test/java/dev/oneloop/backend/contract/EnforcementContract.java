package dev.oneloop.backend.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.BackendException;
import dev.oneloop.backend.ErrorKind;
import dev.oneloop.backend.Handles;
import dev.oneloop.backend.testing.BackendLoop;
import dev.oneloop.backend.testing.HandlerAdapter;
import dev.oneloop.backend.testing.Peer;
import dev.oneloop.backend.testing.RecordingHandler;
import dev.oneloop.backend.testing.RecordingHandler.AcceptFailed;
import dev.oneloop.backend.testing.RecordingHandler.Accepted;
import dev.oneloop.backend.testing.RecordingHandler.Event;
import dev.oneloop.backend.testing.RecordingHandler.Failed;
import dev.oneloop.backend.testing.RecordingHandler.Written;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.assertj.core.api.SoftAssertions;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * The contract's enforcement, as {@code Backend}'s Javadoc states it and
 * {@code dev.oneloop.backend.internal.Contract} words it: thread confinement, stale handles and
 * handles of the wrong kind, a closed backend, running out of handles, listen addresses and their
 * socket family, typed errors ({@link BackendException} with its {@link ErrorKind} and errno), and
 * {@code poll} from inside a callback. Each test fails on a backend that behaves otherwise; where a
 * test checks several methods it checks them all before failing, so that a failure lists every
 * method that differs.
 */
public abstract class EnforcementContract extends ContractSuite {

    private static final int ECONNRESET = 104;
    private static final int EPIPE = 32;
    private static final int EADDRINUSE = 98;

    // ---------------------------------------------------------------- thread confinement

    @Test
    void everyMethodButWakeupAndNameThrowsOnAnotherThreadAndChangesNothing() throws Exception {
        startRecordingLoop(SMALL);
        Connection c = acceptOne(0);
        int unarmed = listen(); // acceptance not armed: a call that armed it would show
        InetSocketAddress unarmedAddress = address(unarmed);
        Backend backend = loop.call(b -> b);
        int handlesBefore = openHandles();

        // The test's thread is not the loop thread.
        SoftAssertions soft = new SoftAssertions();
        notOnTheLoopThread(soft, backend, "listen", () -> backend.listen(new InetSocketAddress(LOOPBACK_V4, 0), 16));
        notOnTheLoopThread(soft, backend, "localAddress", () -> backend.localAddress(c.listener));
        notOnTheLoopThread(soft, backend, "accept", () -> backend.accept(unarmed));
        notOnTheLoopThread(soft, backend, "read", () -> backend.read(c.handle));
        notOnTheLoopThread(soft, backend, "write", () -> backend.write(c.handle, direct(ascii("wrong thread"))));
        notOnTheLoopThread(soft, backend, "close(handle)", () -> backend.close(c.handle));
        notOnTheLoopThread(soft, backend, "openHandles", backend::openHandles);
        notOnTheLoopThread(soft, backend, "poll", () -> backend.poll(Backend.NO_WAIT, HandlerAdapter.expectingNone()));
        notOnTheLoopThread(soft, backend, "close()", backend::close);
        soft.assertThat(backend.name()).as("name() from another thread").isEqualTo(backendName());
        long polls = loop.polls();
        backend.wakeup();
        soft.assertThat(awaitTrue(() -> loop.polls() > polls)).as("poll returned after wakeup() from another thread").isTrue();
        soft.assertAll();

        // Nothing changed: no handle, no armed operation, no byte sent, nothing closed.
        assertThat(openHandles()).as("open handles after the calls from another thread").isEqualTo(handlesBefore);
        Peer waiting = connect(unarmedAddress);
        c.client.send(ascii("ping"));
        Thread.sleep(QUIET.toMillis());
        assertThat(recorder.events()).as("events after the calls from another thread (only the first accept)")
                .containsExactly(new Accepted(c.listener, c.handle));

        loop.run(b -> {
            b.read(c.handle);
            b.write(c.handle, direct(ascii("right thread")));
            b.accept(unarmed);
        });
        assertThat(recorder.awaitBytes(c.handle, 4, SOON)).isEqualTo(ascii("ping"));
        assertThat(c.client.readExactly(12)).as("the first bytes the client receives").isEqualTo(ascii("right thread"));
        int accepted = recorder.awaitAccept(unarmed, SOON);
        loop.run(b -> b.write(accepted, direct(ascii("welcome"))));
        assertThat(waiting.readExactly(7)).isEqualTo(ascii("welcome"));
    }

    // ---------------------------------------------------------------- stale handles, wrong kinds

    @Test
    void operationsOnStaleHandlesAndOnHandlesOfTheWrongKindThrow() throws Exception {
        startRecordingLoop(SMALL);
        Connection c = acceptOne(0);
        int closedListener = listen();
        connect(address(c.listener));
        int closedConnection = recorder.awaitAccept(c.listener, SOON);
        loop.run(b -> {
            b.close(closedListener);
            b.close(closedConnection);
        });
        int neverIssued = Handles.of(Handles.MAX_SLOTS - 1, 0);

        SoftAssertions soft = new SoftAssertions();
        rejected(soft, "accept on a closed listener", b -> b.accept(closedListener), "no open handle");
        rejected(soft, "localAddress of a closed listener", b -> b.localAddress(closedListener), "no open handle");
        rejected(soft, "read on a closed connection", b -> b.read(closedConnection), "no open handle");
        rejected(soft, "write on a closed connection", b -> b.write(closedConnection, direct(ascii("stale"))), "no open handle");
        rejected(soft, "localAddress of a closed connection", b -> b.localAddress(closedConnection), "no open handle");
        rejected(soft, "read on a handle never issued", b -> b.read(neverIssued), "no open handle");
        rejected(soft, "read on a listener", b -> b.read(c.listener), "not a connection");
        rejected(soft, "write on a listener", b -> b.write(c.listener, direct(ascii("listener"))), "not a connection");
        rejected(soft, "accept on a connection", b -> b.accept(c.handle), "not a listener");
        Throwable closingStale = loop.call(b -> catchThrowable(() -> {
            b.close(closedConnection);
            b.close(closedListener);
            b.close(neverIssued);
        }));
        soft.assertThat(closingStale).as("closing stale handles").isNull();
        soft.assertThat(openHandles()).as("open handles after closing stale ones").isEqualTo(2);
        soft.assertAll();

        assertStillServes(c.listener);
        loop.run(b -> b.write(c.handle, direct(ascii("alive"))));
        assertThat(c.client.readExactly(5)).isEqualTo(ascii("alive"));
    }

    @Test
    void afterCloseEveryMethodButCloseWakeupNameAndOpenHandlesThrows() throws Exception {
        onThisThread(backend -> {
            RecordingHandler handler = new RecordingHandler(backend);
            int listener = backend.listen(new InetSocketAddress(LOOPBACK_V4, 0), 16);
            InetSocketAddress address = backend.localAddress(listener);
            backend.accept(listener);
            Peer client = connect(address);
            pollUntil(backend, handler, () -> handler.count(Accepted.class) > 0);
            int connection = ((Accepted) handler.events().getFirst()).connection();

            backend.close();
            SoftAssertions soft = new SoftAssertions();
            closed(soft, "listen", () -> backend.listen(new InetSocketAddress(LOOPBACK_V4, 0), 16));
            closed(soft, "localAddress", () -> backend.localAddress(listener));
            closed(soft, "accept", () -> backend.accept(listener));
            closed(soft, "read", () -> backend.read(connection));
            closed(soft, "write", () -> backend.write(connection, direct(ascii("closed"))));
            closed(soft, "poll", () -> backend.poll(Backend.NO_WAIT, handler));
            soft.assertThat(catchThrowable(backend::openHandles)).as("openHandles() after close()").isNull();
            soft.assertThat(backend.openHandles()).as("openHandles() after close()").isZero();
            soft.assertThat(catchThrowable(backend::close)).as("close() again").isNull();
            soft.assertThat(catchThrowable(backend::wakeup)).as("wakeup() after close()").isNull();
            soft.assertThat(backend.name()).as("name() after close()").isEqualTo(backendName());
            soft.assertThat(client.awaitClosedByPeer(SOON)).as("the client sees the connection closed").isTrue();
            soft.assertAll();
        });
    }

    // ---------------------------------------------------------------- out of handles

    @Test
    void listenBeyondMaxHandlesThrowsOutOfHandles() throws Exception {
        startRecordingLoop(new BackendConfig(2, 4096));
        listen();
        listen();
        InetSocketAddress third = new InetSocketAddress(LOOPBACK_V4, 0);
        Throwable thrown = catchThrowable(() -> loop.call(b -> b.listen(third, 16)));
        assertThat(thrown).as("listen with every handle in use").isInstanceOfSatisfying(BackendException.class, e -> {
            assertThat(e.kind()).isEqualTo(ErrorKind.OUT_OF_HANDLES);
            assertThat(e.errno()).isZero();
            assertThat(e).hasMessage("cannot listen on " + third + ": all 2 handles (maxHandles) are in use");
        });
        assertThat(openHandles()).as("a failed listen leaves no handle behind").isEqualTo(2);
    }

    @Test
    void acceptBeyondMaxHandlesReportsOutOfHandlesAndClosesTheConnection() throws Exception {
        startRecordingLoop(new BackendConfig(2, 4096)); // the listener and one connection
        Connection first = acceptOne(0);
        Peer rejected = connect(address(first.listener));
        AcceptFailed failure = recorder.awaitFirst(AcceptFailed.class, first.listener, SOON);
        assertThat(failure.error()).as("the accept error").isInstanceOfSatisfying(BackendException.class, e -> {
            assertThat(e.kind()).isEqualTo(ErrorKind.OUT_OF_HANDLES);
            assertThat(e.errno()).isZero();
            assertThat(e).hasMessage("connection closed: all 2 handles (maxHandles) are in use");
        });
        assertThat(rejected.awaitClosedByPeer(SOON)).as("the client over the limit sees its connection closed").isTrue();
        assertThat(openHandles()).isEqualTo(2);
    }

    // ---------------------------------------------------------------- addresses

    @Test
    void listenOnAnUnresolvedAddressThrowsIllegalArgument() throws Exception {
        startRecordingLoop(SMALL);
        InetSocketAddress unresolved = InetSocketAddress.createUnresolved("localhost", 0);
        assertThatThrownBy(() -> loop.call(b -> b.listen(unresolved, 16)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unresolved");
        assertThat(openHandles()).isZero();
    }

    @Test
    void listensOnIpv4LoopbackWithAnIpv4Address() throws Exception {
        startRecordingLoop(SMALL);
        int listener = listen();
        assertThat(address(listener).getAddress()).isInstanceOf(Inet4Address.class).isEqualTo(LOOPBACK_V4);
    }

    @Test
    void listensOnTheIpv4WildcardWithAnIpv4OnlySocket() throws Exception {
        assumeTrue(kernelSockets(), "the simulated network binds ports, not addresses: it has no socket families");
        InetAddress ipv6 = loopback("::1");
        assumeTrue(canBind(ipv6), "no IPv6 loopback on this machine");
        startRecordingLoop(SMALL);
        int listener = loop.call(b -> b.listen(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 0), 16));
        InetSocketAddress address = address(listener);
        assertThat(address.getAddress()).as("bound to").isInstanceOf(Inet4Address.class)
                .matches(InetAddress::isAnyLocalAddress, "the wildcard");
        loop.run(b -> b.accept(listener));

        assertThatThrownBy(() -> connect(new InetSocketAddress(ipv6, address.getPort())))
                .as("an IPv6 client of a listener on 0.0.0.0 (an IPv6 socket on :: would accept it)")
                .isInstanceOf(ConnectException.class);
        Peer client = connect(new InetSocketAddress(LOOPBACK_V4, address.getPort()));
        int connection = recorder.awaitAccept(listener, SOON);
        loop.run(b -> b.write(connection, direct(ascii("ipv4"))));
        assertThat(client.readExactly(4)).isEqualTo(ascii("ipv4"));
    }

    @Test
    void listensOnIpv6LoopbackWithAnIpv6Address() throws Exception {
        InetAddress ipv6 = loopback("::1");
        assumeTrue(!kernelSockets() || canBind(ipv6), "no IPv6 loopback on this machine");
        startRecordingLoop(SMALL);
        int listener = loop.call(b -> b.listen(new InetSocketAddress(ipv6, 0), 16));
        InetSocketAddress address = address(listener);
        assertThat(address.getAddress()).isInstanceOf(Inet6Address.class).isEqualTo(ipv6);
        loop.run(b -> b.accept(listener));
        Peer client = connect(new InetSocketAddress(ipv6, address.getPort()));
        int connection = recorder.awaitAccept(listener, SOON);
        loop.run(b -> b.write(connection, direct(ascii("ipv6"))));
        assertThat(client.readExactly(4)).isEqualTo(ascii("ipv6"));
    }

    // ---------------------------------------------------------------- typed errors

    @Test
    void aResetWhileAReadIsArmedIsAConnectionResetError() throws Exception {
        startRecordingLoop(SMALL);
        Connection c = acceptOne(0);
        loop.run(b -> b.read(c.handle));
        c.client.reset();
        Failed failed = recorder.awaitFirst(Failed.class, c.handle, SOON);
        assertThat(failed.error()).as("onError of the armed read").isInstanceOfSatisfying(BackendException.class, e -> {
            assertThat(e.kind()).isEqualTo(ErrorKind.CONNECTION_RESET);
            assertThat(e.errno()).isEqualTo(ECONNRESET);
        });
    }

    @Test
    void writingToAResetConnectionIsAConnectionResetOrBrokenPipeError() throws Exception {
        startRecordingLoop(SMALL);
        Connection c = acceptOne(0);
        c.client.reset();
        Thread.sleep(50); // the reset reaches the server's socket
        // A send may still be taken before the kernel has seen the reset: write until one fails.
        Failed failed = null;
        for (int attempt = 1; attempt <= 50 && failed == null; attempt++) {
            loop.run(b -> b.write(c.handle, direct(ascii("anyone?"))));
            recorder.awaitCount(e -> e.handle() == c.handle && (e instanceof Written || e instanceof Failed), attempt,
                    "results of writes", SOON);
            failed = recorder.events().stream().filter(e -> e instanceof Failed f && f.connection() == c.handle)
                    .map(Failed.class::cast).findFirst().orElse(null);
            if (failed == null) {
                Thread.sleep(20);
            }
        }
        assertThat(failed).as("onError of a write to a reset connection").isNotNull();
        assertThat(failed.error()).isInstanceOfSatisfying(BackendException.class, e ->
                assertThat(Map.entry(e.kind(), e.errno())).as("kind and errno").isIn(
                        Map.entry(ErrorKind.CONNECTION_RESET, ECONNRESET), Map.entry(ErrorKind.BROKEN_PIPE, EPIPE)));
    }

    @Test
    void listenOnAPortInUseIsAnAddressInUseError() throws Exception {
        startRecordingLoop(SMALL);
        InetSocketAddress taken;
        if (kernelSockets()) {
            ServerSocket other = new ServerSocket(0, 16, LOOPBACK_V4); // another socket, not the backend's
            resources.push(other);
            taken = new InetSocketAddress(LOOPBACK_V4, other.getLocalPort());
        } else {
            taken = address(listen()); // the simulated network's only sockets are its listeners
        }
        int handles = openHandles();
        Throwable thrown = catchThrowable(() -> loop.call(b -> b.listen(taken, 16)));
        assertThat(thrown).as("listen on %s, which is taken", taken).isInstanceOfSatisfying(BackendException.class, e -> {
            assertThat(e.kind()).isEqualTo(ErrorKind.ADDRESS_IN_USE);
            assertThat(e.errno()).isEqualTo(EADDRINUSE);
        });
        assertThat(openHandles()).as("a failed listen leaves no handle behind").isEqualTo(handles);
    }

    // ---------------------------------------------------------------- poll from a callback

    @Test
    void pollFromInsideACallbackThrowsIllegalState() throws Exception {
        AtomicReference<Throwable> nested = new AtomicReference<>();
        startRecordingLoop(SMALL).reaction((b, event) -> {
            if (event instanceof Accepted && nested.get() == null) {
                Throwable thrown = catchThrowable(() -> b.poll(Backend.NO_WAIT, HandlerAdapter.expectingNone()));
                nested.set(thrown != null ? thrown : new AssertionError("poll returned normally"));
            }
        });
        Connection c = acceptOne(0);
        loop.run(b -> { }); // the callback has returned
        assertThat(nested.get()).as("poll called from onAccept").isInstanceOf(IllegalStateException.class);
        loop.run(b -> b.write(c.handle, direct(ascii("after"))));
        assertThat(c.client.readExactly(5)).as("the backend still works").isEqualTo(ascii("after"));
    }

    // ---------------------------------------------------------------- helpers

    /** Calls {@code call} on a thread that is not the loop thread and checks that it was refused. */
    private static void notOnTheLoopThread(SoftAssertions soft, Backend backend, String method, ThrowingCallable call)
            throws InterruptedException {
        refused(soft, method + " called on another thread", offTheLoop(backend, call), "not on the loop thread");
    }

    /**
     * Runs {@code call} on a new thread and returns what it threw. Meanwhile it wakes the backend
     * every few milliseconds: a backend that makes the call wait for the loop thread's poll (a
     * selector's lock) lets it through instead of hanging the test.
     */
    private static Throwable offTheLoop(Backend backend, ThrowingCallable call) throws InterruptedException {
        CompletableFuture<Throwable> result = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("not-the-loop-thread").start(() -> result.complete(catchThrowable(call)));
        long deadline = System.nanoTime() + SOON.toNanos();
        while (!result.isDone() && System.nanoTime() < deadline) {
            backend.wakeup();
            Thread.sleep(5);
        }
        return result.getNow(new AssertionError("the call did not return within " + SOON));
    }

    /** Runs {@code action} on the loop thread and checks that it threw an IllegalStateException saying {@code words}. */
    private void rejected(SoftAssertions soft, String what, BackendLoop.Action action, String words) throws Exception {
        refused(soft, what, loop.call(b -> catchThrowable(() -> action.accept(b))), words);
    }

    private static void closed(SoftAssertions soft, String method, ThrowingCallable call) {
        refused(soft, method + " after close()", catchThrowable(call), "backend closed");
    }

    /** Checks that {@code thrown} is an IllegalStateException whose message contains {@code words}. */
    private static void refused(SoftAssertions soft, String what, Throwable thrown, String words) {
        soft.assertThat(thrown instanceof IllegalStateException && String.valueOf(thrown.getMessage()).contains(words))
                .as("%s: expected an IllegalStateException saying \"%s\", got %s", what, words,
                        thrown == null ? "none (it returned normally)" : thrown)
                .isTrue();
    }

    private static void pollUntil(Backend backend, Backend.Handler handler, BooleanSupplier done) throws IOException {
        long deadline = System.nanoTime() + SOON.toNanos();
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition reached within %s", SOON).isLessThan(deadline);
            backend.poll(TimeUnit.MILLISECONDS.toNanos(10), handler);
        }
    }

    private static boolean awaitTrue(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }
}
