package dev.oneloop.bench.jmh;

import java.lang.management.ManagementFactory;
import java.util.Locale;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What the server's loop thread spent on the messages of each iteration, from
 * {@link com.sun.management.ThreadMXBean}: bytes it allocated (the goal is 0 in steady state) and
 * CPU time. Only the loop thread counts, not the benchmark's client.
 *
 * <p>JMH sums event counters over the measured iterations, so the secondary results are totals:
 * {@code loopAllocatedBytes / loopMessages} is the allocation per message. Each iteration also
 * prints its per-message figures.
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
    private long allocated;
    private long cpu;

    @Setup(Level.Iteration)
    public void startIteration() {
        markPending = true;
        messages = 0;
        allocated = 0;
        cpu = 0;
    }

    /** Taken here because JMH reads the counters only after the last iteration's trial teardown stopped the server. */
    @TearDown(Level.Iteration)
    public void endIteration() {
        if (messages == 0) {
            return;
        }
        allocated = THREADS.getThreadAllocatedBytes(loop.threadId()) - bytesAtMark;
        cpu = THREADS.getThreadCpuTime(loop.threadId()) - cpuAtMark;
        System.out.printf(Locale.ROOT, "loop thread: %.2f B allocated and %.0f ns CPU per message over %d messages%n",
                allocated / (double) messages, cpu / (double) messages, messages);
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

    /** Messages (echoes, status lines, wake-ups) the figures below cover. */
    public long loopMessages() {
        return messages;
    }

    /** Bytes the loop thread allocated over those messages. */
    public long loopAllocatedBytes() {
        return allocated;
    }

    /** CPU time of the loop thread over those messages, in nanoseconds. */
    public long loopCpuNanos() {
        return cpu;
    }
}
