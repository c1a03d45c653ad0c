package dev.oneloop.bench.jmh;

import java.lang.management.ManagementFactory;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What the server's loop thread spent per message in one iteration: bytes it allocated (the goal
 * is 0 in steady state) and CPU time, from {@link com.sun.management.ThreadMXBean}. JMH reports
 * them as secondary results ({@code loopBytesPerMessage}, {@code loopCpuNanosPerMessage}); only
 * the loop thread counts, not the benchmark's client.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class LoopCost {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private boolean markPending;
    private Thread loop;
    private long bytesAtMark;
    private long cpuAtMark;
    private long messages;
    private double bytesPerMessage;
    private double cpuNanosPerMessage;

    @Setup(Level.Iteration)
    public void startIteration() {
        markPending = true;
        messages = 0;
        bytesPerMessage = 0;
        cpuNanosPerMessage = 0;
    }

    /** Taken here because JMH reads the results only after the last iteration's trial teardown stopped the server. */
    @TearDown(Level.Iteration)
    public void endIteration() {
        if (messages > 0) {
            bytesPerMessage = (THREADS.getThreadAllocatedBytes(loop.threadId()) - bytesAtMark) / (double) messages;
            cpuNanosPerMessage = (THREADS.getThreadCpuTime(loop.threadId()) - cpuAtMark) / (double) messages;
        }
    }

    /**
     * Called by a benchmark after each operation. The first call of an iteration only marks the
     * start, so the figures cover whole operations in steady state.
     */
    void count(Thread loopThread, long messagesEchoed) {
        if (markPending) {
            markPending = false;
            loop = loopThread;
            bytesAtMark = THREADS.getThreadAllocatedBytes(loopThread.threadId());
            cpuAtMark = THREADS.getThreadCpuTime(loopThread.threadId());
            return;
        }
        messages += messagesEchoed;
    }

    /** Bytes the loop thread allocated per message, from the iteration's first operation to its end. */
    public double loopBytesPerMessage() {
        return bytesPerMessage;
    }

    /** CPU time of the loop thread per message, from the iteration's first operation to its end. */
    public double loopCpuNanosPerMessage() {
        return cpuNanosPerMessage;
    }
}
