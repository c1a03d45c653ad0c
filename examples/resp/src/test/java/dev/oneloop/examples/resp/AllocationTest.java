package dev.oneloop.examples.resp;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** PING and GET of an existing key allocate nothing on the loop thread once warm, one at a time or pipelined. */
@Timeout(60)
class AllocationTest {

    private static final String PING = "*1\r\n$4\r\nPING\r\n";
    private static final String GET = "*2\r\n$3\r\nGET\r\n$7\r\nkey:000\r\n";
    private static final String REPLY = "$16\r\nvalue-of-key-000\r\n";
    /** How long windows over their allowance are measured again, waiting for the JIT to finish. */
    private static final Duration STEADY_STATE_BOUND = Duration.ofSeconds(30);

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.oneloop.examples.resp.Backends#names")
    void pingAndGetAllocateNothingOnTheLoopThread(String backend) throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (RespServerThread server = Backends.start(backend, RespConfig.DEFAULTS);
                RespClient client = new RespClient(server.address())) {
            client.roundTrip("SET key:000 value-of-key-000\r\n", "+OK\r\n");
            String pipeline = (PING + GET).repeat(50);
            String replies = ("+PONG\r\n" + REPLY).repeat(50);
            // Warm-up of both patterns: let the JIT compile the hot paths. A method compiled or
            // deoptimized inside a measured window runs interpreted for a while, and objects that
            // escape analysis had removed are allocated for real (seen: 1,520 B in the round trips).
            exchange(client, pipeline, replies, 400);
            exchange(client, PING + GET, "+PONG\r\n" + REPLY, 2_000);
            long loop = server.thread().threadId();

            // The loop thread's total is this server's own on every backend but iouring-netty, whose
            // Netty IoUringIoHandler allocates per loop turn itself (a method reference per run,
            // DESIGN.md): there each exchange (one loop turn or two) may cost a bounded amount, while an
            // allocation per request would cost 100 times that per pipelined exchange and still fail.
            // Elsewhere a few objects appear now and then in a window, not per request: on epoll 504 and
            // 888 B in the round trips, and twice exactly 1,520 B in one window or the other (not tracked
            // down). So each window allows 4,000 B in all, one byte per round-trip request and a tenth of
            // one per pipelined request: a single allocation per request (16 B or more) still fails.
            boolean allocatesPerTurn = backend.equals("iouring-netty");
            long pipelinedAllowance = allocatesPerTurn ? 1024 + 256L * 400 : 4_000;
            long roundTripAllowance = allocatesPerTurn ? 1024 + 256L * 2_000 : 4_000;
            // Steady state is what is claimed. On iouring the JDK's errno capture check
            // (SharedUtils.checkCaptureSegment) allocates a 40 B segment slice per io_uring_enter until
            // C2 has compiled Ring.enter: 80 B per exchange. The warm-up above (about 5,000 enters) is
            // not enough for that: on a 2-core machine it took 5 to 10 more pairs of windows (30,000 to
            // 55,000 enters in all). So windows over their allowance are measured again, warmer, for up
            // to STEADY_STATE_BOUND; only the last pair is asserted. An allocation per request never
            // gets quiet and still fails.
            long giveUp = System.nanoTime() + STEADY_STATE_BOUND.toNanos();
            long pipelined;
            long oneAtATime;
            int requests = 0;
            for (int attempt = 1; ; attempt++) {
                long before = threads.getThreadAllocatedBytes(loop);
                requests += exchange(client, pipeline, replies, 400);
                pipelined = threads.getThreadAllocatedBytes(loop) - before;

                before = threads.getThreadAllocatedBytes(loop);
                requests += exchange(client, PING + GET, "+PONG\r\n" + REPLY, 2_000) / 2;
                oneAtATime = threads.getThreadAllocatedBytes(loop) - before;

                boolean last = (pipelined < pipelinedAllowance && oneAtATime < roundTripAllowance) || System.nanoTime() - giveUp >= 0;
                if (last || attempt <= 20) {
                    System.out.printf("allocation [%s], attempt %d: %d B for 40000 pipelined PING/GET, %d B for 4000 in round trips%n",
                            backend, attempt, pipelined, oneAtATime);
                }
                if (last) {
                    break;
                }
            }
            assertThat(pipelined).as("bytes allocated on the loop thread for 40000 pipelined PING/GET").isLessThan(pipelinedAllowance);
            assertThat(oneAtATime).as("bytes allocated on the loop thread for 4000 PING/GET in round trips").isLessThan(roundTripAllowance);
            assertThat(requests).isPositive();
        }
    }

    private static int exchange(RespClient client, String requests, String replies, int times) throws Exception {
        for (int i = 0; i < times; i++) {
            String got = client.roundTrip(requests, replies);
            if (!got.equals(replies)) {
                throw new AssertionError("unexpected reply: " + got);
            }
        }
        return times * 2 * (requests.length() / (PING + GET).length());
    }
}
