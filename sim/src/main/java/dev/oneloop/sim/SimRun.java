package dev.oneloop.sim;

import dev.oneloop.backend.BackendConfig;
import dev.oneloop.server.EchoServer;
import dev.oneloop.server.Observability;
import dev.oneloop.server.ServerConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.slf4j.LoggerFactory;

/**
 * One simulated run of the unchanged {@link EchoServer} and its {@code Loop}, entirely decided by a
 * seed: the server's configuration, the faults switched on and their rates, the clients and what
 * they do, when the network heals and when the stop is requested. A run is a pure function of its
 * seed: running a seed again replays it exactly (and the trace hash proves it).
 */
public final class SimRun {

    /** The outcome of one seed. */
    public record Result(long seed, String failure, long traceHash, long traceEvents, String faults, String config,
            String clients, List<String> traceTail, long virtualNanos, long polls, int connections) {

        public boolean passed() {
            return failure == null;
        }
    }

    /** Virtual length of a run, up to the stop. */
    static final long RUN_NANOS = Duration.ofSeconds(60).toNanos();
    /** Time without faults after which a well-behaved client must have finished. */
    static final long SETTLE_NANOS = Duration.ofSeconds(20).toNanos();
    static final int MAX_CLIENTS = 64;

    static {
        quietLogs();
        noThreadTimers();
    }

    private SimRun() {
    }

    /** The server logs every backlog close and accept error at WARN; thousands of runs would drown the report. */
    static void quietLogs() {
        if (LoggerFactory.getLogger("dev.oneloop") instanceof ch.qos.logback.classic.Logger logback) {
            logback.setLevel(ch.qos.logback.classic.Level.OFF);
        }
    }

    /**
     * The server measures the thread CPU time and allocation of every status broadcast for its
     * statistics when the JVM measures thread allocation: four system calls per broadcast (about
     * 3 µs, more than the rest of a turn), thousands per run with 20 ms intervals. In virtual time
     * those wall-clock figures mean nothing and nothing checks them, so the simulation switches
     * thread allocation measurement off before {@code EchoServer} is initialized, which then leaves
     * both out (it serves the same).
     */
    static void noThreadTimers() {
        if (java.lang.management.ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads
                && threads.isThreadAllocatedMemorySupported()) {
            threads.setThreadAllocatedMemoryEnabled(false);
        }
    }

    public static Result run(long seed, boolean keepTrace) {
        SplittableRandom random = new SplittableRandom(seed);
        // Near the end of the long range: the clock wraps during the run, as System.nanoTime() may.
        long start = Long.MAX_VALUE - random.nextLong(Duration.ofSeconds(30).toNanos());
        ServerConfig config = drawConfig(random);
        // From a stream of its own, so that drawing it left every other choice of a seed as it was.
        SplittableRandom idle = new SplittableRandom(seed ^ 0x1D1E_7140_0000_0001L);
        if (idle.nextInt(10) < 3) {
            config = config.withIdleTimeout(Duration.ofMillis(logUniform(idle, 10, 3000)));
        }
        // Registering the MBean costs more than a short run's I/O; one run in eight keeps it covered.
        // Drawn from a stream of its own too, for the same reason.
        boolean jmx = new SplittableRandom(seed ^ 0x0A3B_0000_0000_0001L).nextInt(8) == 0;
        Faults faults = Faults.draw(random, config.statusInterval().toNanos());
        long stopAt = start + (random.nextInt(4) == 0 ? Duration.ofSeconds(1).toNanos() + random.nextLong(RUN_NANOS)
                : RUN_NANOS * 3 / 4 + random.nextLong(RUN_NANOS / 4));
        long healAt = start + (long) ((stopAt - start) * (0.2 + 0.5 * random.nextDouble()));
        int extraHandles = random.nextBoolean() ? 0 : 1 + random.nextInt(8);
        Trace trace = new Trace(keepTrace);
        SimNetwork net = SimNetwork.virtual(start, random.nextLong(), faults, trace);
        SimBackend backend = new SimBackend(net, new BackendConfig(config.maxConnections() + 1 + extraHandles, config.readBufferSize()));
        long maxPause = faults.pauses() ? faults.pauseMaxNanos() : 0;
        Invariants invariants = new Invariants(config, backend, maxPause);
        backend.observer(invariants);

        List<SimClient> clients = new ArrayList<>();
        Map<SimClient.Kind, Integer> mix = new EnumMap<>(SimClient.Kind.class);
        String failure = null;
        long end = start;
        try {
            EchoServer server = new EchoServer(backend, config, Observability.DEFAULTS.withJmx(jmx), net::now);
            InetSocketAddress address = server.bind();
            Plan plan = new Plan(net, address, random.split(), clients, stopAt);
            List<SimClient.Kind> kinds = drawKinds(random);
            int count = 1 + random.nextInt(MAX_CLIENTS);
            for (int i = 0; i < count; i++) {
                SimClient.Kind kind = kinds.get(random.nextInt(kinds.size()));
                SimClient client = plan.client(kind, 0);
                mix.merge(kind, 1, Integer::sum);
                long at = start + 1 + (random.nextInt(3) == 0 ? random.nextLong(1_000_000) : random.nextLong(Math.max(1, (stopAt - start) * 2 / 3)));
                net.schedule(at, client::start);
            }
            if (faults.resets()) {
                scheduleReset(net, random.split(), faults.resetsPerSecond(), start, healAt);
            }
            net.schedule(healAt, now -> {
                net.heal();
                trace.note(now, "network healed");
            });
            net.schedule(stopAt, now -> {
                trace.note(now, "stop requested");
                invariants.stopRequested = true;
                server.requestStop();
            });
            server.run();
            end = net.now();
            for (SimClient client : clients) {
                if (client.stalled()) {
                    throw new SimFailure(client + " stalled: it has more to do and nothing will wake it (a bug of the simulator)");
                }
            }
            invariants.afterRun(end);
            net.drain(end + Duration.ofSeconds(10).toNanos());
            for (SimClient client : clients) {
                boolean settled = stopAt - healAt >= SETTLE_NANOS && client.sentAllAt != Long.MIN_VALUE
                        && stopAt - client.sentAllAt >= SETTLE_NANOS && client.startedAt - healAt <= 0;
                invariants.checkClient(client, settled);
            }
        } catch (SimFailure f) {
            failure = f.getMessage();
            end = net.now();
        } catch (Throwable t) {
            StringWriter stack = new StringWriter();
            t.printStackTrace(new PrintWriter(stack));
            failure = "the server threw " + stack.toString().lines().limit(12).reduce((a, b) -> a + "\n    " + b).orElse("");
            end = net.now();
        }
        return new Result(seed, failure, trace.hash(), trace.events(), faults.describe(), describe(config, extraHandles),
                describeMix(mix, clients.size()), trace.tail(), end - start, backend.polls(), net.connections.size());
    }

    private static void scheduleReset(SimNetwork net, SplittableRandom random, double perSecond, long now, long until) {
        if (perSecond <= 0) {
            return;
        }
        long gap = 1 + (long) (-Math.log(1 - random.nextDouble()) / perSecond * 1e9);
        long at = now + gap;
        if (at - until >= 0) {
            return;
        }
        net.schedule(at, t -> {
            List<SimConnection> open = new ArrayList<>();
            for (SimConnection c : net.connections) {
                if (!c.clientReset && !c.clientClosed && !c.serverClosed && !c.resetByServer) {
                    open.add(c);
                }
            }
            if (!open.isEmpty()) {
                SimConnection victim = open.get(random.nextInt(open.size()));
                net.trace().note(t, "fault: reset " + victim);
                net.reset(victim);
            }
            scheduleReset(net, random, perSecond, t, until);
        });
    }

    /** Which client kinds this seed uses (swarm testing); echoers always. */
    private static List<SimClient.Kind> drawKinds(SplittableRandom random) {
        List<SimClient.Kind> kinds = new ArrayList<>();
        kinds.add(SimClient.Kind.ECHOER);
        for (SimClient.Kind kind : SimClient.Kind.values()) {
            if (kind != SimClient.Kind.ECHOER && random.nextInt(10) < 6) {
                kinds.add(kind);
            }
        }
        return kinds;
    }

    private static long logUniform(SplittableRandom random, long min, long max) {
        double x = Math.log(min) + random.nextDouble() * (Math.log(max) - Math.log(min));
        return Math.max(min, Math.min(max, (long) Math.exp(x)));
    }

    static ServerConfig drawConfig(SplittableRandom random) {
        int high = (int) logUniform(random, 256, 256 * 1024);
        int low = random.nextInt(high);
        int max = high + (int) logUniform(random, 1, 3L * high);
        return ServerConfig.DEFAULTS
                .withPort(0)
                .withStatusInterval(Duration.ofMillis(logUniform(random, 20, 2000)))
                .withBacklogLimits(high, low, max)
                .withShutdownTimeout(Duration.ofMillis(random.nextInt(4) == 0 ? 0 : logUniform(random, 1, 3000)))
                .withMaxConnections((int) logUniform(random, 1, MAX_CLIENTS + 8))
                .withReadBufferSize((int) logUniform(random, 64, 16 * 1024))
                .withChunkSize((int) logUniform(random, 64, 16 * 1024))
                .withAcceptBackoff(Duration.ofMillis(logUniform(random, 1, 500)))
                .withListenBacklog((int) logUniform(random, 1, 128));
    }

    private static String describe(ServerConfig c, int extraHandles) {
        return String.format("interval=%dms high=%d low=%d maxBacklog=%d shutdownTimeout=%dms maxConnections=%d (+%d handles)"
                        + " readBuffer=%d chunk=%d acceptBackoff=%dms listenBacklog=%d idleTimeout=%dms",
                c.statusInterval().toMillis(), c.highWatermark(), c.lowWatermark(), c.maxBacklog(), c.shutdownTimeout().toMillis(),
                c.maxConnections(), extraHandles, c.readBufferSize(), c.chunkSize(), c.acceptBackoff().toMillis(), c.listenBacklog(),
                c.idleTimeout().toMillis());
    }

    private static String describeMix(Map<SimClient.Kind, Integer> mix, int total) {
        StringBuilder s = new StringBuilder();
        mix.forEach((kind, n) -> s.append(kind.name().toLowerCase(java.util.Locale.ROOT)).append('=').append(n).append(' '));
        return s.append("(").append(total).append(" connections in all)").toString();
    }

    /** Makes the clients of a run; churners come back through {@link #spawn}. */
    private static final class Plan implements SimClient.Context {
        private final SimNetwork net;
        private final InetSocketAddress address;
        private final SplittableRandom random;
        private final List<SimClient> clients;
        private final long stopAt;
        private final byte[] scratch = new byte[64 * 1024];

        Plan(SimNetwork net, InetSocketAddress address, SplittableRandom random, List<SimClient> clients, long stopAt) {
            this.net = net;
            this.address = address;
            this.random = random;
            this.clients = clients;
            this.stopAt = stopAt;
        }

        SimClient client(SimClient.Kind kind, int generation) {
            SplittableRandom own = random.split();
            long total = switch (kind) {
                case NON_READER -> logUniform(own, 1, 256 * 1024);
                case CHURNER -> own.nextInt(512);
                default -> own.nextInt(8) == 0 ? 0 : logUniform(own, 1, 64 * 1024);
            };
            // At most a few hundred sends per client: the runs must stay fast enough for thousands of seeds.
            int maxChunk = (int) Math.max(logUniform(own, 1, 8192), total / 200 + 1);
            long gapMax = logUniform(own, 1_000_000, 500_000_000);
            long resetAfter = own.nextLong(Duration.ofSeconds(10).toNanos());
            SimClient client = new SimClient(clients.size(), kind, own, this, total, maxChunk, gapMax, resetAfter, generation);
            clients.add(client);
            return client;
        }

        @Override
        public SimNetwork network() {
            return net;
        }

        @Override
        public InetSocketAddress address() {
            return address;
        }

        @Override
        public byte[] scratch() {
            return scratch;
        }

        @Override
        public void spawn(SimClient finished) {
            long at = net.now() + 1 + random.nextLong(50_000_000);
            if (finished.generation < 20 && at - stopAt < 0) {
                SimClient next = client(SimClient.Kind.CHURNER, finished.generation + 1);
                net.schedule(at, next::start);
            }
        }
    }
}
