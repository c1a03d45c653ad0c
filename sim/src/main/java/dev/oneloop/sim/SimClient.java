package dev.oneloop.sim;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.SplittableRandom;

/** One simulated client: one connection, a behaviour, and the check of what it receives. */
final class SimClient {

    enum Kind {
        /** Sends, reads everything, closes once every byte came back. */
        ECHOER,
        /** Sends, shuts its output down, reads until the server closes. */
        HALF_CLOSER,
        /** Reads a little now and then. */
        SLOW_READER,
        /** Sends and never reads: the server must throttle it, then drop it past the backlog limit. */
        NON_READER,
        /** Resets the connection at a random moment. */
        RESETTER,
        /** Short connections one after another: slots and generations are reused. */
        CHURNER
    }

    /** How a client tells the run about itself. */
    interface Context {
        SimNetwork network();

        InetSocketAddress address();

        byte[] scratch();

        /** A churner finished; {@code next} may start the next one. */
        void spawn(SimClient finished);
    }

    final int index;
    final Kind kind;
    final long dataSeed;
    final long total;
    final int maxChunk;
    final long gapMax;
    final long resetAfter;
    private long resetAt;
    final int generation;
    private final SplittableRandom random;
    private final Context context;
    final StreamCheck check;

    SimConnection conn;
    long startedAt;
    long sent;
    long sentAllAt = Long.MIN_VALUE;
    boolean refusedAtConnect;
    boolean outputShut;
    boolean closedByServerSeen;
    boolean done;
    boolean finished;
    long finishedAt;
    /** The step scheduled (at {@link #stepAt}), or null; step events still queued but not this one were superseded. */
    private StepEvent liveStep;
    private long stepAt;
    /** Step events of this client in the queue, live or superseded: while one is, the next needs an instance of its own. */
    private int queuedSteps;
    private final StepEvent reusableStep = new StepEvent();
    /** A slow reader found nothing to read and has nothing to send: the next arrival schedules its step. */
    private boolean waitingForData;
    /** Handed to the network while a send found no room: the server read (or the connection ended). */
    private final SimNetwork.Action roomAction = this::onRoom;

    SimClient(int index, Kind kind, SplittableRandom random, Context context, long total, int maxChunk, long gapMax,
            long resetAfter, int generation) {
        this.index = index;
        this.kind = kind;
        this.random = random;
        this.context = context;
        this.dataSeed = random.nextLong();
        this.total = total;
        this.maxChunk = maxChunk;
        this.gapMax = gapMax;
        this.resetAfter = resetAfter;
        this.generation = generation;
        this.check = new StreamCheck(dataSeed);
    }

    void start(long now) {
        SimNetwork net = context.network();
        startedAt = now;
        resetAt = now + resetAfter;
        try {
            conn = net.connect(context.address(), 0, this::onArrival);
        } catch (ConnectException e) {
            refusedAtConnect = true;
            done = true;
            net.trace().event(now, "refused", index, 0);
            return;
        }
        step(now);
    }

    /**
     * Schedules the next step at {@code time} unless one is due no later. An earlier step supersedes
     * the one scheduled, which stays queued and does nothing when it fires; which one is live is told
     * by identity, not by time, since a step may fire later than scheduled (after a pause).
     */
    private void schedule(long time) {
        if (liveStep != null && time - stepAt >= 0) {
            return;
        }
        StepEvent step = queuedSteps == 0 ? reusableStep : new StepEvent();
        liveStep = step;
        stepAt = time;
        queuedSteps++;
        context.network().schedule(time, step);
    }

    private final class StepEvent implements SimNetwork.Action {
        @Override
        public void fire(long now) {
            queuedSteps--;
            if (this == liveStep) {
                liveStep = null;
                step(now);
            }
        }
    }

    /** The server read from a window this client found full (or the connection ended): send again after a gap. */
    private void onRoom(long now) {
        if (!done) {
            schedule(now + 1 + random.nextLong(gapMax));
        }
    }

    private void step(long now) {
        if (done) {
            return;
        }
        SimNetwork net = context.network();
        if (kind == Kind.RESETTER && now - resetAt >= 0) {
            net.reset(conn);
            done = true;
            return;
        }
        if (conn.clientReset || conn.resetByServer) {
            done = true;
            return;
        }
        boolean blocked = false; // the send found no room in the window
        if (sent < total && !closedByServerSeen) {
            int n = (int) Math.min(1 + random.nextInt(maxChunk), total - sent);
            byte[] scratch = context.scratch();
            n = Math.min(n, scratch.length);
            byte[] source = StreamCheck.pattern();
            int from = StreamCheck.patternIndex(dataSeed, sent);
            if (from + n > source.length) { // wraps around the pattern: copy
                StreamCheck.fill(dataSeed, sent, scratch, n);
                source = scratch;
                from = 0;
            }
            int wrote;
            try {
                wrote = net.send(conn, source, from, n);
            } catch (IOException e) {
                done = true;
                return;
            }
            sent += wrote;
            if (sent == total) {
                sentAllAt = now;
            }
            blocked = wrote == 0;
        } else if (sent == total && kind == Kind.HALF_CLOSER && !outputShut) {
            net.shutdownOutput(conn);
            outputShut = true;
        }
        boolean readNothing = false;
        if (kind == Kind.SLOW_READER) {
            long before = check.received();
            receive(now, 1 + random.nextInt(4096));
            readNothing = check.received() == before;
        }
        if (done) {
            return;
        }
        // Steps only while they can do something; waiting is left to events: a full window waits
        // for the server to read, a slow reader with nothing to read for the next arrival, a
        // resetter with nothing to send for its moment.
        if (blocked) {
            net.onRoom(conn, roomAction);
        }
        boolean sending = sent < total && !closedByServerSeen && !blocked
                || sent == total && kind == Kind.HALF_CLOSER && !outputShut;
        waitingForData = kind == Kind.SLOW_READER && readNothing && !sending;
        if (sending || kind == Kind.SLOW_READER && !waitingForData) {
            long next = now + 1 + random.nextLong(gapMax);
            schedule(kind == Kind.RESETTER && next - resetAt > 0 ? resetAt : next);
        } else if (kind == Kind.RESETTER) {
            schedule(resetAt);
        }
    }

    /** Bytes or a close arrived for this client. */
    private void onArrival(long now) {
        if (done || conn == null) {
            return;
        }
        if (waitingForData) {
            waitingForData = false;
            schedule(now + 1 + random.nextLong(gapMax));
        }
        if (kind != Kind.SLOW_READER && kind != Kind.NON_READER) {
            receive(now, Integer.MAX_VALUE);
        }
    }

    private void receive(long now, int budget) {
        SimNetwork net = context.network();
        byte[] scratch = context.scratch();
        while (budget > 0 && !done) {
            int n = net.receive(conn, scratch, 0, Math.min(budget, scratch.length));
            if (n < 0) {
                closedByServerSeen = true;
                if (kind == Kind.HALF_CLOSER || kind == Kind.ECHOER || kind == Kind.SLOW_READER || kind == Kind.CHURNER) {
                    finish(now, false);
                }
                return;
            }
            if (n == 0) {
                break;
            }
            budget -= n;
            check.feed(scratch, n, sent);
        }
        if (check.echoed() == total && sent == total && kind != Kind.HALF_CLOSER && kind != Kind.RESETTER
                && kind != Kind.NON_READER) {
            finish(now, true);
        }
    }

    private void finish(long now, boolean close) {
        if (done) {
            return;
        }
        finished = check.echoed() == total;
        finishedAt = now;
        done = true;
        if (close) {
            context.network().close(conn);
        }
        if (kind == Kind.CHURNER) {
            context.spawn(this);
        }
    }

    /**
     * The simulator's own check: not done, with something left to do, and nothing queued or awaited
     * that will wake it (a step, room in the window, the next arrival). A client that stalls silently
     * would only make runs do less, with nothing failing.
     */
    boolean stalled() {
        if (done || conn == null) {
            return false;
        }
        boolean work = sent < total && !closedByServerSeen || kind == Kind.RESETTER || kind == Kind.SLOW_READER
                || sent == total && kind == Kind.HALF_CLOSER && !outputShut;
        boolean wakes = liveStep != null && context.network().isScheduled(liveStep) || conn.clientRoom == roomAction
                || waitingForData;
        return work && !wakes;
    }

    /** Every byte sent came back. */
    boolean echoComplete() {
        return check.echoed() == sent && sent == total;
    }

    @Override
    public String toString() {
        return "client#" + index + "(" + kind + (conn == null ? "" : ", " + conn) + ")";
    }
}
