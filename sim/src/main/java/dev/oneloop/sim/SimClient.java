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
    private boolean stepScheduled;
    private final SimNetwork.Action stepAction = this::onStep;

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

    private void schedule(long time) {
        if (!stepScheduled) {
            stepScheduled = true;
            context.network().schedule(time, stepAction);
        }
    }

    private void onStep(long now) {
        stepScheduled = false;
        step(now);
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
            try {
                sent += net.send(conn, source, from, n);
            } catch (IOException e) {
                done = true;
                return;
            }
            if (sent == total) {
                sentAllAt = now;
            }
        } else if (sent == total && kind == Kind.HALF_CLOSER && !outputShut) {
            net.shutdownOutput(conn);
            outputShut = true;
        }
        if (kind == Kind.SLOW_READER) {
            receive(now, 1 + random.nextInt(4096));
        }
        boolean more = sent < total || kind == Kind.SLOW_READER || kind == Kind.RESETTER
                || kind == Kind.HALF_CLOSER && !outputShut;
        if (more && !done) {
            schedule(now + 1 + random.nextLong(gapMax));
        }
    }

    /** Bytes or a close arrived for this client. */
    private void onArrival(long now) {
        if (done || conn == null) {
            return;
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

    /** Every byte sent came back. */
    boolean echoComplete() {
        return check.echoed() == sent && sent == total;
    }

    @Override
    public String toString() {
        return "client#" + index + "(" + kind + (conn == null ? "" : ", " + conn) + ")";
    }
}
