package dev.oneloop.sim;

import dev.oneloop.backend.Handles;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The simulated world a {@link SimBackend} serves: listeners, connections with their kernel buffers
 * and latencies, the clients' side of every connection, and the clock.
 *
 * <p>Two clocks. In <b>virtual time</b> ({@link #virtual}) nothing ever sleeps: the only thread is
 * the server's loop thread, {@link SimBackend#poll} jumps the clock to the next scheduled event (a
 * client acting, bytes arriving) or to its timeout, and every choice comes from one seeded
 * {@link SplittableRandom}, so a run is a pure function of its seed. In <b>real time</b>
 * ({@link #realTime}) the clock is {@link System#nanoTime()}, there are no faults and no latency, and
 * other threads (the contract suite's peers) act on the clients' side under this object's monitor,
 * which {@code poll} waits on.
 */
public final class SimNetwork {

    /** Something that happens at a scheduled time, on the loop thread, inside {@code poll}. */
    @FunctionalInterface
    public interface Action {
        void fire(long now);
    }

    /** A listening socket: its port, its queue of connections not accepted yet. */
    static final class Listener extends SimSocket {
        final InetSocketAddress address;
        final int backlog;
        final ArrayDeque<SimConnection> pending = new ArrayDeque<>();
        int handle = Handles.NONE;
        boolean acceptArmed;

        Listener(SimNetwork net, InetSocketAddress address, int backlog) {
            super(net);
            this.address = address;
            this.backlog = backlog;
        }
    }

    static final int DEFAULT_WINDOW = 256 * 1024;
    private static final int FIRST_EPHEMERAL_PORT = 40_000;

    final boolean realTime;
    final SplittableRandom random;
    private final Faults faults;
    private boolean healed;
    private long virtualNow;
    private final EventQueue queue = new EventQueue();
    private final Map<Integer, Listener> ports = new HashMap<>();
    private int nextPort = FIRST_EPHEMERAL_PORT;
    private int nextConnectionId;
    final List<SimConnection> connections = new ArrayList<>();
    final Trace trace;

    private SimNetwork(boolean realTime, long start, long seed, Faults faults, Trace trace) {
        this.realTime = realTime;
        this.virtualNow = start;
        this.random = new SplittableRandom(seed);
        this.faults = faults;
        this.trace = trace;
    }

    /** A network in wall-clock time without faults, for the contract suite's threads. */
    public static SimNetwork realTime() {
        return new SimNetwork(true, 0, 0, Faults.NONE, new Trace(false));
    }

    /** A network in virtual time starting at {@code start} nanoseconds, every choice drawn from {@code seed}. */
    public static SimNetwork virtual(long start, long seed, Faults faults, Trace trace) {
        return new SimNetwork(false, start, seed, faults, trace);
    }

    /** The clock: virtual nanoseconds, or {@link System#nanoTime()} in real time. */
    public long now() {
        return realTime ? System.nanoTime() : virtualNow;
    }

    /** The faults in force now: none once {@link #heal()}ed. */
    public Faults faults() {
        return healed ? Faults.NONE : faults;
    }

    /** Stops injecting faults (already drawn latencies and buffers stay). */
    public void heal() {
        healed = true;
    }

    public Trace trace() {
        return trace;
    }

    // ---------------------------------------------------------------- scheduling (virtual time)
    // Virtual time has one thread, the loop thread: the queue needs no monitor.

    public void schedule(long time, Action action) {
        queue.add(time, action);
    }

    /** Fires every action due at or before {@code now}, in time order. */
    void runDue(long now) {
        while (!queue.isEmpty() && queue.firstTime() - now <= 0) {
            queue.pollFirst().fire(now);
        }
    }

    /** {@code action} is scheduled and has not fired yet. */
    boolean isScheduled(Action action) {
        return queue.contains(action);
    }

    boolean hasScheduled() {
        return !queue.isEmpty();
    }

    long nextScheduled() {
        return queue.firstTime();
    }

    /** Virtual time only: moves the clock forward to {@code time}. */
    void advanceTo(long time) {
        if (time - virtualNow > 0) {
            virtualNow = time;
        }
    }

    /** Runs the world alone (no server polling) until nothing is scheduled or {@code limit} is reached. */
    public void drain(long limit) {
        while (!queue.isEmpty() && queue.firstTime() - limit <= 0) {
            advanceTo(queue.firstTime());
            runDue(virtualNow);
        }
    }

    // ---------------------------------------------------------------- latency

    /** When bytes sent now on {@code c} arrive. */
    long arrival(SimConnection c) {
        if (realTime) {
            return now();
        }
        long now = virtualNow;
        Faults f = faults();
        long latency = c.baseLatency;
        if (f.latency() && random.nextDouble() < f.tailRate()) {
            latency += 1 + random.nextLong(f.tailMaxNanos()); // a stall: everything behind waits too
        }
        return now + latency;
    }

    /** Wakes whoever waits for {@code c}'s client side at {@code time} (sim) or now (real time). */
    void wakeClient(SimConnection c, long time) {
        if (realTime) {
            notifyAll();
        } else if (c.clientWake != null && !(c.clientWakeScheduled && c.clientWakeAt == time)) {
            // A wake already due at that instant stands for this one: both would fire in the same
            // runDue, and between them only the world acts (never the server, the only writer of
            // what the client reads), so the later one would find nothing to read and nothing to do.
            c.clientWakeScheduled = true;
            c.clientWakeAt = time;
            schedule(time, c.clientWakeFire);
        }
    }

    /** The client's side of {@code c} found no room to send: {@code action} fires once the server read from it or closed it. */
    void onRoom(SimConnection c, Action action) {
        c.clientRoom = action;
    }

    /** The server read from {@code c} or closed it: a client waiting for room may send again. */
    void roomMade(SimConnection c) {
        Action waiting = c.clientRoom;
        if (waiting != null) {
            c.clientRoom = null;
            waiting.fire(now());
        }
    }

    /** The server side must look at {@code s} now and again at {@code time}. */
    void wakeServer(SimSocket s, long time) {
        if (realTime) {
            notifyAll();
        } else {
            touch(s); // bytes visible now need no event: poll gathers after the world's actions
            if (time - virtualNow > 0 && !(s.arrivalScheduled && s.arrivalAt == time)) {
                s.arrivalScheduled = true; // one touch at that instant is enough
                s.arrivalAt = time;
                schedule(time, s.arrived);
            }
        }
    }

    /**
     * Virtual time: {@code s} may have a result for the server now (its state changed, or bytes or a
     * FIN arrived); the next gather looks at it. Real time gathers from every socket instead.
     */
    void touch(SimSocket s) {
        if (!s.touched && !realTime) {
            s.touched = true;
            touched.add(s);
        }
    }

    /** Sockets touched since the backend last gathered (virtual time). */
    final List<SimSocket> touched = new ArrayList<>();

    // ---------------------------------------------------------------- listeners (server side)

    synchronized Listener bind(InetSocketAddress requested, int backlog) throws java.net.BindException {
        int port = requested.getPort();
        if (port == 0) {
            while (ports.containsKey(nextPort)) {
                nextPort++;
            }
            port = nextPort++;
        } else if (ports.containsKey(port)) {
            throw new java.net.BindException("Address already in use (EADDRINUSE): " + requested);
        }
        Listener listener = new Listener(this, new InetSocketAddress(requested.getAddress(), port), backlog);
        ports.put(port, listener);
        return listener;
    }

    /** Releases {@code listener}'s port; connections still waiting in its queue are reset. */
    synchronized void unbind(Listener listener) {
        if (ports.get(listener.address.getPort()) == listener) {
            ports.remove(listener.address.getPort());
        }
        SimConnection waiting;
        while ((waiting = listener.pending.poll()) != null) {
            waiting.resetByServer = true;
            waiting.down.discard();
            wakeClient(waiting, now());
            roomMade(waiting);
        }
    }

    // ---------------------------------------------------------------- the clients' side

    /**
     * Connects a client to {@code address}: the connection waits in the listener's queue until the
     * server accepts it. {@code receiveWindow > 0} makes the server-to-client direction that small.
     *
     * @throws ConnectException if nothing listens on that port, or its queue is full
     */
    public synchronized SimConnection connect(InetSocketAddress address, int receiveWindow, SimNetwork.Action wake)
            throws ConnectException {
        Listener listener = ports.get(address.getPort());
        if (listener == null || listener.handle == Handles.NONE) {
            throw new ConnectException("Connection refused: nothing listens on " + address);
        }
        if (listener.pending.size() >= listener.backlog) {
            throw new ConnectException("Connection refused: accept queue full on " + address);
        }
        int down = receiveWindow > 0 ? receiveWindow + 16 * 1024 : DEFAULT_WINDOW;
        Faults f = faults();
        if (f.smallBuffers() && !realTime) {
            down = 64 + random.nextInt(f.smallBufferMax());
        }
        int up = f.smallBuffers() && !realTime ? 64 + random.nextInt(f.smallBufferMax()) : DEFAULT_WINDOW;
        long base = realTime || !f.latency() ? 0 : random.nextLong(f.baseLatencyMaxNanos() + 1);
        SimConnection c = new SimConnection(this, nextConnectionId++, listener.address.getPort(), up, down, base);
        c.clientWake = wake;
        connections.add(c);
        listener.pending.add(c);
        trace.event(now(), "connect", c.id, 0);
        wakeServer(listener, now());
        return c;
    }

    /** Sends up to {@code length} bytes (as many as fit); returns how many. */
    public synchronized int send(SimConnection c, byte[] bytes, int offset, int length) throws java.io.IOException {
        if (c.clientReset || c.clientClosed) {
            throw new java.io.IOException("Socket closed");
        }
        if (c.resetByServer) {
            throw new java.io.IOException("Connection reset by peer");
        }
        if (c.up.finSent()) {
            throw new java.io.IOException("Broken pipe: output shut down");
        }
        int n = Math.min(length, c.up.space());
        if (n > 0) {
            long at = c.up.write(bytes, offset, n, arrival(c));
            trace.event(now(), "send", c.id, n);
            wakeServer(c, at);
        }
        return n;
    }

    /** Reads up to {@code max} arrived bytes; -1 at end of stream or after a reset, 0 if none arrived yet. */
    public synchronized int receive(SimConnection c, byte[] into, int offset, int max) {
        if (c.resetByServer) {
            return -1;
        }
        long now = now();
        int n = c.down.read(into, offset, max, now);
        if (n > 0) {
            trace.event(now, "recv", c.id, n);
            wakeServer(c, now); // room in the window: a stalled write may continue
            return n;
        }
        return c.down.atEnd(now) ? -1 : 0;
    }

    /** The client's end of stream (or a reset) is visible now. */
    public synchronized boolean closedByServer(SimConnection c) {
        return c.resetByServer || c.down.atEnd(now());
    }

    public synchronized int receivable(SimConnection c) {
        return c.resetByServer ? 0 : c.down.available(now());
    }

    /** Half-close: the server reads end of stream after every byte sent so far. */
    public synchronized void shutdownOutput(SimConnection c) {
        if (!c.up.finSent() && !c.clientReset && !c.clientClosed) {
            long at = c.up.shutdown(arrival(c));
            trace.event(now(), "shutdown", c.id, 0);
            wakeServer(c, at);
        }
    }

    /** Abortive close (RST): the server's next operation on the connection fails. */
    public synchronized void reset(SimConnection c) {
        if (c.clientReset || c.clientClosed) {
            return;
        }
        c.clientReset = true;
        c.up.discard();
        c.down.discard();
        trace.event(now(), "reset", c.id, 0);
        wakeServer(c, now());
    }

    /** Close: FIN to the server; bytes the server sends later fail its write (the client is gone). */
    public synchronized void close(SimConnection c) {
        if (c.clientReset || c.clientClosed) {
            return;
        }
        if (c.down.unread() > 0 && !c.resetByServer) {
            reset(c); // closing with unread input resets, as TCP does
            return;
        }
        long at = c.up.shutdown(arrival(c));
        c.clientClosed = true;
        trace.event(now(), "close", c.id, 0);
        wakeServer(c, at);
    }
}
