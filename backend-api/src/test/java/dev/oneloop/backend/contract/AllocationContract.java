package dev.oneloop.backend.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.management.ThreadMXBean;
import dev.oneloop.backend.BackendConfig;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Allocation: the loop thread allocates nothing per echoed message once warmed up, but for what the
 * mechanism underneath allocates per poll ({@link BackendUnderTest#mechanismBytesPerPoll()}). About real
 * sockets and the kernel path: a simulated backend has no subclass of it.
 * See {@link ContractSuite} for how the suites run.
 */
public abstract class AllocationContract extends ContractSuite {

    @Test
    void allocatesNothingPerMessageInSteadyState() throws Exception {
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(),
                "per-thread allocation counters unavailable");
        BackendConfig config = new BackendConfig(8, 1024);
        startEchoLoop(config);
        int listener = listen();
        loop.run(b -> b.accept(listener));
        try (Socket client = new Socket()) {
            client.setTcpNoDelay(true);
            client.setSoTimeout((int) SOON.toMillis());
            client.connect(address(listener));
            byte[] message = randomBytes(new SplittableRandom(12), 64);
            byte[] reply = new byte[message.length];
            int messages = 20_000;

            roundTrips(client, message, reply, messages); // warm-up: class loading, JIT, buffers per slot
            long threadId = loop.thread().threadId();
            long pollsBefore = loop.polls();
            long before = threads.getThreadAllocatedBytes(threadId);
            roundTrips(client, message, reply, messages);
            long allocated = threads.getThreadAllocatedBytes(threadId) - before;
            long polls = loop.polls() - pollsBefore;

            assertThat(reply).isEqualTo(message);
            long tolerated = messages + 16 * 1024 + polls * mechanismBytesPerPoll();
            assertThat(allocated).as("bytes allocated on the loop thread for %d echoed messages in %d polls", messages, polls)
                    .isLessThan(tolerated);
        }
    }

    private static void roundTrips(Socket client, byte[] message, byte[] reply, int count) throws IOException {
        for (int i = 0; i < count; i++) {
            client.getOutputStream().write(message);
            int offset = 0;
            while (offset < reply.length) {
                int n = client.getInputStream().read(reply, offset, reply.length - offset);
                if (n < 0) {
                    throw new IOException("end of stream after " + i + " round trips");
                }
                offset += n;
            }
        }
    }
}
