package dev.oneloop.backend.readiness;

import dev.oneloop.backend.internal.HandleState;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The core's state of one handle, which a {@link Mechanism} keeps beside its socket to report
 * readiness to with {@link #ready(int)}. Its states are explicit; what may change them:
 *
 * <table>
 *   <caption>Connection states</caption>
 *   <tr><th>field</th><th>state</th><th>meaning</th><th>left by</th></tr>
 *   <tr><td rowspan="3">{@code read}</td><td>{@code DISARMED}</td><td>no receive armed</td><td>{@code read()}</td></tr>
 *   <tr><td>{@code ARMED}</td><td>one receive waits for bytes</td><td>a result, a failure, {@code close}</td></tr>
 *   <tr><td>{@code ENDED}</td><td>{@code onEof} was delivered (final)</td><td>{@code close}</td></tr>
 *   <tr><td rowspan="3">{@code write}</td><td>{@code IDLE}</td><td>no buffer of the caller's is held</td><td>{@code write()}</td></tr>
 *   <tr><td>{@code SENDING}</td><td>bytes are left; waits for {@code WRITABLE}</td><td>the last byte sent ({@code onWritten}), a failure</td></tr>
 *   <tr><td>{@code DONE}</td><td>ended inside {@code write()}; its result waits in the completion queue</td><td>its delivery by {@code poll}</td></tr>
 *   <tr><td>{@code closed}</td><td>{@code false / true}</td><td>whether the handle was closed; a closed endpoint still in a queue is skipped when it comes out</td><td>{@code close}</td></tr>
 * </table>
 *
 * A listener has the same {@code read} field for continuous acceptance ({@code DISARMED},
 * {@code ARMED}) and no {@code write}. Beside the states, {@link #readiness} holds what the mechanism
 * last told of the socket ({@link Mechanism#READABLE}, {@link Mechanism#WRITABLE},
 * {@link Mechanism#PEER_SHUTDOWN}), cleared when a syscall says otherwise ({@code EAGAIN}, a short read).
 */
public abstract sealed class Endpoint<S> extends HandleState permits Endpoint.Listener, Endpoint.Connection {

    /** A receive (or, on a listener, acceptance): armed by the application, ended by a result. */
    enum Read { DISARMED, ARMED, ENDED }

    /** The one write a connection may have in flight. */
    enum Write { IDLE, SENDING, DONE }

    final ReadinessBackend<S> core;
    final S socket;
    Read read = Read.DISARMED;
    /** Readiness bits the mechanism reported and no syscall has contradicted since. */
    int readiness;
    /** The interest last given to the mechanism. */
    int interest;
    /** Links of the work and interest-change queues (see {@link IntrusiveQueue}). */
    Endpoint<S> nextWork;
    Endpoint<S> nextInterest;
    boolean inWork;
    boolean inInterest;

    private Endpoint(ReadinessBackend<S> core, S socket) {
        this.core = core;
        this.socket = socket;
    }

    /**
     * Called by the mechanism, during {@link Mechanism#await}, with the readiness bits it saw for
     * this endpoint's socket. Records them and queues the endpoint if an armed operation can now
     * progress; never calls the application.
     */
    public final void ready(int events) {
        if (!closed) {
            readiness |= events;
            if (canProgress()) {
                core.queueWork(this);
            }
        }
    }

    final boolean isReadable() {
        return (readiness & Mechanism.READABLE) != 0;
    }

    /** Whether an armed operation can progress without waiting for more readiness. */
    abstract boolean canProgress();

    /** The interest the armed operations need: readiness they wait for and do not know of yet. */
    abstract int wantedInterest();

    static final class Listener<S> extends Endpoint<S> {

        Listener(ReadinessBackend<S> core, S socket) {
            super(core, socket);
        }

        @Override
        boolean canProgress() {
            return read == Read.ARMED && isReadable();
        }

        @Override
        int wantedInterest() {
            return read == Read.ARMED && !isReadable() ? Mechanism.READ : 0;
        }
    }

    static final class Connection<S> extends Endpoint<S> {
        Write write = Write.IDLE;
        /** The caller's buffer while {@code write} is {@code SENDING} or {@code DONE}. */
        ByteBuffer writeBuffer;
        /** Why a write ended inside {@code write()} ({@code write == DONE}), or {@code null} if it succeeded. */
        IOException writeError;
        /** Link of the completion queue. */
        Connection<S> nextCompletion;
        boolean inCompletions;

        Connection(ReadinessBackend<S> core, S socket) {
            super(core, socket);
            readiness = Mechanism.WRITABLE; // a fresh socket has room: the first write is tried at once
        }

        boolean isWritable() {
            return (readiness & Mechanism.WRITABLE) != 0;
        }

        @Override
        boolean canProgress() {
            return (read == Read.ARMED && isReadable()) || (write == Write.SENDING && isWritable());
        }

        @Override
        int wantedInterest() {
            return (read == Read.ARMED && !isReadable() ? Mechanism.READ : 0)
                    | (write == Write.SENDING && !isWritable() ? Mechanism.WRITE : 0);
        }
    }
}
