package dev.oneloop.backend.iouring;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One io_uring instance: setup, the mapped SQ and CQ, one provided-buffer ring, and
 * {@code io_uring_enter}. Owned by the thread that created it (the ring is
 * {@code IORING_SETUP_SINGLE_ISSUER}); it knows nothing of connections.
 *
 * <p>Memory ordering with the kernel, which runs concurrently on other CPUs:
 * <ul>
 *   <li>SQ tail: written with release after the SQEs, so the kernel (load-acquire of the tail) sees
 *       complete entries. SQ head: read with acquire; it tells which SQEs the kernel consumed.
 *   <li>CQ tail: read with acquire, so the CQEs the kernel wrote before its store-release of the
 *       tail are visible. CQ head: written with release after the CQEs were read, so the kernel
 *       reuses those slots only after we are done with them.
 *   <li>Provided-buffer ring tail: written with release after the {@code io_uring_buf} entry.
 * </ul>
 * Plain accesses are used for the entries themselves and for our private copies of the indices.
 */
@SuppressWarnings("restricted") // the kernel's ring memory, reached through mmap addresses
final class Ring implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Ring.class);
    private static final VarHandle INT = JAVA_INT.varHandle();
    private static final VarHandle SHORT = JAVA_SHORT.varHandle();

    /** Setup flags to try, best first; each also gets CQSIZE. */
    private static final int[] SETUP_ATTEMPTS = {
        Uring.SETUP_SINGLE_ISSUER | Uring.SETUP_DEFER_TASKRUN | Uring.SETUP_SUBMIT_ALL | Uring.SETUP_NO_SQARRAY,
        Uring.SETUP_SINGLE_ISSUER | Uring.SETUP_DEFER_TASKRUN | Uring.SETUP_SUBMIT_ALL,
        Uring.SETUP_SINGLE_ISSUER | Uring.SETUP_DEFER_TASKRUN,
        Uring.SETUP_COOP_TASKRUN | Uring.SETUP_TASKRUN_FLAG | Uring.SETUP_SUBMIT_ALL,
        Uring.SETUP_COOP_TASKRUN | Uring.SETUP_TASKRUN_FLAG,
        0,
    };

    /** Opcodes the backend submits; a kernel lacking one cannot run it. */
    static final byte[] REQUIRED_OPS = {Uring.OP_NOP, Uring.OP_ACCEPT, Uring.OP_ASYNC_CANCEL, Uring.OP_POLL_ADD,
        Uring.OP_SEND, Uring.OP_RECV};

    private final MemorySegment errno;
    private final int ringFd;
    private final int setupFlags;
    private final int features;
    /** The fd or registered index passed to io_uring_enter, and the flag that says which. */
    private final int enterFd;
    private final int enterFlags;
    private final MemorySegment sqRing;
    private final MemorySegment cqRing;
    private final MemorySegment sqes;
    private final long sqHeadOffset;
    private final long sqTailOffset;
    private final long sqFlagsOffset;
    private final long cqHeadOffset;
    private final long cqTailOffset;
    private final long cqesOffset;
    private final int sqEntries;
    private final int sqMask;
    private final int cqEntries;
    private final int cqMask;
    /** struct io_uring_getevents_arg and its __kernel_timespec, reused by every timed wait. */
    private final MemorySegment getEventsArg;
    private final MemorySegment timespec;

    private boolean closed;
    private int sqTail;
    /** SQ index up to which the kernel consumed submissions. */
    private int sqSubmitted;
    private int cqHead;

    private MemorySegment bufRing;
    private MemorySegment buffers;
    private int bufMask;
    private int bufTail;
    private int bufSize;

    /** io_uring_enter calls made. Package-private for testing. */
    long enters;
    /** Early submissions because the SQ was full. Package-private for testing. */
    long fullSqFlushes;
    /** Enters made only to flush an overflowed CQ. Package-private for testing. */
    long overflowFlushes;

    private Ring(MemorySegment errno, int fd, int setupFlags, MemorySegment params, Arena arena) throws IOException {
        this.errno = errno;
        this.ringFd = fd;
        this.setupFlags = setupFlags;
        features = params.get(JAVA_INT, Uring.P_FEATURES);
        sqEntries = params.get(JAVA_INT, Uring.P_SQ_ENTRIES);
        cqEntries = params.get(JAVA_INT, Uring.P_CQ_ENTRIES);
        long sqArray = Integer.toUnsignedLong(params.get(JAVA_INT, Uring.P_SQ_ARRAY));
        long cqes = Integer.toUnsignedLong(params.get(JAVA_INT, Uring.P_CQ_CQES));
        long sqSize = (setupFlags & Uring.SETUP_NO_SQARRAY) != 0 ? params.get(JAVA_INT, Uring.P_SQ_FLAGS) + 4L
                : sqArray + 4L * sqEntries;
        long cqSize = cqes + (long) Uring.CQE_SIZE * cqEntries;
        try {
            if ((features & Uring.FEAT_SINGLE_MMAP) != 0) {
                sqRing = mmap(Math.max(sqSize, cqSize), Uring.OFF_SQ_RING);
                cqRing = sqRing;
            } else {
                sqRing = mmap(sqSize, Uring.OFF_SQ_RING);
                cqRing = mmap(cqSize, Uring.OFF_CQ_RING);
            }
            sqes = mmap((long) Uring.SQE_SIZE * sqEntries, Uring.OFF_SQES);
        } catch (IOException e) {
            Libc.closeQuietly(errno, fd);
            throw e;
        }
        sqHeadOffset = params.get(JAVA_INT, Uring.P_SQ_HEAD);
        sqTailOffset = params.get(JAVA_INT, Uring.P_SQ_TAIL);
        sqFlagsOffset = params.get(JAVA_INT, Uring.P_SQ_FLAGS);
        sqMask = sqRing.get(JAVA_INT, params.get(JAVA_INT, Uring.P_SQ_RING_MASK));
        cqHeadOffset = params.get(JAVA_INT, Uring.P_CQ_HEAD);
        cqTailOffset = params.get(JAVA_INT, Uring.P_CQ_TAIL);
        cqMask = cqRing.get(JAVA_INT, params.get(JAVA_INT, Uring.P_CQ_RING_MASK));
        cqesOffset = cqes;
        if ((setupFlags & Uring.SETUP_NO_SQARRAY) == 0) {
            for (int i = 0; i < sqEntries; i++) { // identity index array, written once (as liburing does)
                sqRing.set(JAVA_INT, sqArray + 4L * i, i);
            }
        }
        sqTail = (int) INT.getAcquire(sqRing, sqHeadOffset);
        sqSubmitted = sqTail;
        cqHead = (int) INT.getAcquire(cqRing, cqHeadOffset);
        getEventsArg = arena.allocate(Uring.GETEVENTS_ARG_SIZE, 8);
        timespec = arena.allocate(Uring.TIMESPEC_SIZE, 8);
        getEventsArg.set(JAVA_LONG, Uring.GETEVENTS_ARG_TS, timespec.address());
        int[] registered = registerRingFd(arena);
        enterFd = registered[0];
        enterFlags = registered[1];
    }

    /**
     * Creates a ring with at least {@code sqEntries} SQEs and {@code cqEntries} CQEs, with the best
     * setup flags this kernel accepts (logging a fallback), its fd registered for enter.
     */
    static Ring open(int sqEntries, int cqEntries, MemorySegment errno, Arena arena) throws IOException {
        MemorySegment params = arena.allocate(Uring.PARAMS_SIZE, 8);
        int lastErrno = 0;
        for (int i = 0; i < SETUP_ATTEMPTS.length; i++) {
            int flags = SETUP_ATTEMPTS[i] | Uring.SETUP_CQSIZE | Uring.SETUP_CLAMP;
            int fd = setup(sqEntries, cqEntries, flags, params, errno);
            if (fd >= 0) {
                if (i > 0) {
                    LOG.atInfo().addKeyValue("flags", "0x" + Integer.toHexString(flags))
                            .addKeyValue("refused", "0x" + Integer.toHexString(SETUP_ATTEMPTS[0]))
                            .addKeyValue("errno", lastErrno)
                            .log((SETUP_ATTEMPTS[i] & Uring.SETUP_DEFER_TASKRUN) == 0
                                    ? "io_uring: SINGLE_ISSUER|DEFER_TASKRUN refused, falling back to COOP_TASKRUN|TASKRUN_FLAG"
                                    : "io_uring: some setup flags refused, using fewer");
                }
                Ring ring = new Ring(errno, fd, flags, params, arena);
                if ((ring.features & Uring.FEAT_EXT_ARG) == 0) {
                    ring.close();
                    throw new IOException("io_uring without IORING_FEAT_EXT_ARG (Linux 5.11+ needed for timed waits)");
                }
                return ring;
            }
            lastErrno = -fd;
            if (lastErrno != Uring.EINVAL) {
                break; // EPERM, ENOMEM, ENOSYS: no other flags will help
            }
        }
        throw setupError(lastErrno);
    }

    /** Names the errno of a failed io_uring_setup and its usual reason. */
    static IOException setupError(int errno) {
        String why = switch (errno) {
            case Uring.EPERM -> {
                String disabled = ioUringDisabledSetting();
                yield disabled != null && !disabled.equals("0")
                        ? "kernel.io_uring_disabled=" + disabled
                        : "refused by a seccomp filter, e.g. a container's default profile, or by kernel.io_uring_disabled";
            }
            case Uring.ENOMEM -> "ring memory over the locked-memory limit, see ulimit -l";
            case Uring.ENOSYS -> "kernel built without io_uring, or the syscall is filtered";
            default -> Libc.strerror(errno);
        };
        return new IOException("io_uring_setup: " + errnoName(errno) + " (" + why + ")");
    }

    private static String ioUringDisabledSetting() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/io_uring_disabled")).trim();
        } catch (IOException | SecurityException e) {
            return null;
        }
    }

    static String errnoName(int errno) {
        return switch (errno) {
            case Uring.EPERM -> "EPERM";
            case Uring.ENOMEM -> "ENOMEM";
            case Uring.ENOSYS -> "ENOSYS";
            case Uring.EINVAL -> "EINVAL";
            default -> "errno " + errno;
        };
    }

    /** io_uring_setup; the fd, or -errno. */
    static int setup(int sqEntries, int cqEntries, int flags, MemorySegment params, MemorySegment errno) {
        params.fill((byte) 0);
        params.set(JAVA_INT, Uring.P_FLAGS, flags);
        params.set(JAVA_INT, Uring.P_CQ_ENTRIES, cqEntries);
        try {
            long r = (long) Libc.SYSCALL2.invokeExact(errno, Uring.NR_IO_URING_SETUP, (long) sqEntries, params.address());
            return r < 0 ? -Libc.errno(errno) : (int) r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    private int[] registerRingFd(Arena arena) {
        MemorySegment update = arena.allocate(Uring.RSRC_UPDATE_SIZE, 8);
        update.set(JAVA_INT, 0, -1); // any free slot
        update.set(JAVA_LONG, 8, ringFd);
        long r = register(Uring.REGISTER_RING_FDS, update.address(), 1);
        if (r == 1) {
            return new int[] {update.get(JAVA_INT, 0), Uring.ENTER_REGISTERED_RING};
        }
        LOG.atInfo().addKeyValue("errno", -r).log("io_uring: IORING_REGISTER_RING_FDS refused, entering with the plain fd");
        return new int[] {ringFd, 0};
    }

    /** io_uring_register; the result, or -errno. */
    long register(int opcode, long arg, int count) {
        try {
            long r = (long) Libc.SYSCALL4.invokeExact(errno, Uring.NR_IO_URING_REGISTER, (long) ringFd, (long) opcode, arg,
                    (long) count);
            return r < 0 ? -Libc.errno(errno) : r;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    /** The first of {@code ops} this kernel lacks (IORING_REGISTER_PROBE), or -1 if it has them all. */
    int missingOp(byte[] ops, Arena arena) throws IOException {
        MemorySegment probe = arena.allocate(Uring.PROBE_HEADER + (long) Uring.PROBE_OP_SIZE * Uring.PROBE_OPS, 8);
        long r = register(Uring.REGISTER_PROBE, probe.address(), Uring.PROBE_OPS);
        if (r < 0) {
            throw new IOException("IORING_REGISTER_PROBE: " + Libc.strerror((int) -r));
        }
        int opsLen = probe.get(JAVA_BYTE, 1) & 0xff;
        for (byte op : ops) {
            int flags = op < opsLen ? probe.get(JAVA_SHORT, Uring.PROBE_HEADER + (long) Uring.PROBE_OP_SIZE * op + 2) : 0;
            if ((flags & Uring.PROBE_OP_SUPPORTED) == 0) {
                return op;
            }
        }
        return -1;
    }

    private MemorySegment mmap(long size, long offset) throws IOException {
        try {
            long a = (long) Libc.MMAP.invokeExact(errno, 0L, size, Uring.PROT_READ_WRITE, Uring.MAP_SHARED | Uring.MAP_POPULATE,
                    ringFd, offset);
            if (a == -1) {
                throw new IOException("mmap of the io_uring ring: " + Libc.strerror(Libc.errno(errno)));
            }
            return MemorySegment.ofAddress(a).reinterpret(size);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    static MemorySegment mapAnonymous(long size, MemorySegment errno) throws IOException {
        try {
            long a = (long) Libc.MMAP.invokeExact(errno, 0L, size, Uring.PROT_READ_WRITE, Uring.MAP_PRIVATE | Uring.MAP_ANONYMOUS,
                    -1, 0L);
            if (a == -1) {
                throw new IOException("mmap of " + size + " bytes: " + Libc.strerror(Libc.errno(errno)));
            }
            return MemorySegment.ofAddress(a).reinterpret(size);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
    }

    private void unmap(MemorySegment segment) {
        if (segment != null) {
            try {
                int r = (int) Libc.MUNMAP.invokeExact(errno, segment.address(), segment.byteSize());
                assert r == 0;
            } catch (Throwable t) {
                throw Libc.rethrow(t);
            }
        }
    }

    int setupFlags() {
        return setupFlags;
    }

    int sqEntries() {
        return sqEntries;
    }

    int cqEntries() {
        return cqEntries;
    }

    boolean registeredRingFd() {
        return enterFlags != 0;
    }

    // ---- submission queue

    /**
     * Fills the next SQE and returns its index (for {@link #isUnsubmitted}). A full SQ is first
     * handed to the kernel (submit only, no waiting) and filling continues.
     */
    int prep(byte op, int sqeFlags, int ioprio, int fd, long addr, int len, int opFlags, long userData, int bufGroup) {
        if (closed) {
            throw new IllegalStateException("the ring is closed");
        }
        if (sqTail - sqSubmitted == sqEntries) {
            fullSqFlushes++;
            submitPending();
        }
        int index = sqTail;
        long o = (long) (index & sqMask) * Uring.SQE_SIZE;
        MemorySegment s = sqes;
        s.set(JAVA_BYTE, o + Uring.SQE_OPCODE, op);
        s.set(JAVA_BYTE, o + Uring.SQE_FLAGS, (byte) sqeFlags);
        s.set(JAVA_SHORT, o + Uring.SQE_IOPRIO, (short) ioprio);
        s.set(JAVA_INT, o + Uring.SQE_FD, fd);
        s.set(JAVA_LONG, o + Uring.SQE_OFF, 0L);
        s.set(JAVA_LONG, o + Uring.SQE_ADDR, addr);
        s.set(JAVA_INT, o + Uring.SQE_LEN, len);
        s.set(JAVA_INT, o + Uring.SQE_OP_FLAGS, opFlags);
        s.set(JAVA_LONG, o + Uring.SQE_USER_DATA, userData);
        s.set(JAVA_SHORT, o + Uring.SQE_BUF_GROUP, (short) bufGroup);
        s.set(JAVA_SHORT, o + Uring.SQE_PERSONALITY, (short) 0);
        s.set(JAVA_INT, o + Uring.SQE_FILE_INDEX, 0);
        s.set(JAVA_LONG, o + Uring.SQE_ADDR3, 0L);
        s.set(JAVA_LONG, o + Uring.SQE_PAD, 0L);
        sqTail = index + 1;
        return index;
    }

    /** Whether the SQE at {@code index} is still ours (not yet consumed by the kernel). */
    boolean isUnsubmitted(int index) {
        return index - sqSubmitted >= 0 && sqTail - index > 0;
    }

    /** Turns an unsubmitted SQE into a NOP with the same user data: it will touch no memory. */
    void turnIntoNop(int index) {
        long o = (long) (index & sqMask) * Uring.SQE_SIZE;
        sqes.set(JAVA_BYTE, o + Uring.SQE_OPCODE, Uring.OP_NOP);
        sqes.set(JAVA_BYTE, o + Uring.SQE_FLAGS, (byte) 0);
    }

    /** Sets {@code optlen} (shared with file_index) of an unsubmitted SQE: a multishot RECV's total byte limit. */
    void setOptlen(int index, int optlen) {
        sqes.set(JAVA_INT, (long) (index & sqMask) * Uring.SQE_SIZE + Uring.SQE_FILE_INDEX, optlen);
    }

    /** Hands every filled SQE to the kernel without waiting for completions. */
    void submitPending() {
        while (sqTail != sqSubmitted) {
            int r = enter(0, 0, -1);
            if (r < 0 && r != -Uring.EINTR && r != -Uring.EAGAIN && r != -Uring.EBUSY) {
                throw new IllegalStateException("io_uring_enter (submit): " + Libc.strerror(-r));
            }
        }
    }

    /**
     * One io_uring_enter: submits every filled SQE and, with {@code flags} = GETEVENTS, waits until
     * {@code minComplete} CQEs are ready or {@code timeoutNanos} passed (negative: no timeout).
     * Returns 0, or -errno (EINTR, ETIME, ...).
     */
    int enter(int minComplete, int flags, long timeoutNanos) {
        // The CQ head we published counts against min_complete: it is already stored (release) by advanceCq.
        INT.setRelease(sqRing, sqTailOffset, sqTail);
        int toSubmit = sqTail - sqSubmitted;
        long arg = 0;
        long argSize = 0;
        int allFlags = flags | enterFlags;
        if (timeoutNanos >= 0 && minComplete > 0) {
            timespec.set(JAVA_LONG, 0, timeoutNanos / 1_000_000_000L);
            timespec.set(JAVA_LONG, 8, timeoutNanos % 1_000_000_000L);
            arg = getEventsArg.address();
            argSize = Uring.GETEVENTS_ARG_SIZE;
            allFlags |= Uring.ENTER_EXT_ARG;
        }
        long r;
        try {
            r = (long) Libc.SYSCALL6.invokeExact(errno, Uring.NR_IO_URING_ENTER, (long) enterFd, (long) toSubmit,
                    (long) minComplete, (long) allFlags, arg, argSize);
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        }
        enters++;
        int result = r < 0 ? -Libc.errno(errno) : 0;
        // Whatever the result, the kernel may have consumed SQEs: its head says how many.
        sqSubmitted = (int) INT.getAcquire(sqRing, sqHeadOffset);
        return result;
    }

    /** Whether the kernel holds completions that did not fit the CQ (IORING_SQ_CQ_OVERFLOW). */
    boolean cqOverflowed() {
        return ((int) INT.getVolatile(sqRing, sqFlagsOffset) & Uring.SQ_CQ_OVERFLOW) != 0;
    }

    /** Enters only to move overflowed completions into the CQ (after the CQ head was advanced). */
    void flushOverflow() {
        overflowFlushes++;
        int r = enter(0, Uring.ENTER_GETEVENTS, -1);
        if (r < 0 && r != -Uring.EINTR && r != -Uring.EAGAIN && r != -Uring.EBUSY) {
            throw new IllegalStateException("io_uring_enter (CQ overflow flush): " + Libc.strerror(-r));
        }
    }

    // ---- completion queue

    int cqHead() {
        return cqHead;
    }

    int cqTailAcquire() {
        return (int) INT.getAcquire(cqRing, cqTailOffset);
    }

    boolean cqEmpty() {
        return cqHead == cqTailAcquire();
    }

    long userData(int index) {
        return cqRing.get(JAVA_LONG, cqesOffset + (long) (index & cqMask) * Uring.CQE_SIZE + Uring.CQE_USER_DATA);
    }

    int result(int index) {
        return cqRing.get(JAVA_INT, cqesOffset + (long) (index & cqMask) * Uring.CQE_SIZE + Uring.CQE_RES);
    }

    int flags(int index) {
        return cqRing.get(JAVA_INT, cqesOffset + (long) (index & cqMask) * Uring.CQE_SIZE + Uring.CQE_FLAGS);
    }

    /** Releases CQ slots up to {@code index} (exclusive) to the kernel. */
    void advanceCq(int index) {
        cqHead = index;
        INT.setRelease(cqRing, cqHeadOffset, index);
    }

    // ---- provided buffer ring

    /**
     * Registers {@code count} buffers of {@code size} bytes as buffer group {@code group}; the
     * buffers are anonymous memory, so a page costs RSS only once the kernel wrote into it.
     */
    void registerBuffers(int group, int count, int size) throws IOException {
        int entries = Math.max(1, Integer.highestOneBit(count - 1) << 1);
        bufRing = mapAnonymous((long) entries * Uring.BUF_SIZE, errno); // page aligned, as the kernel requires
        buffers = mapAnonymous((long) count * size, errno);
        bufMask = entries - 1;
        bufSize = size;
        try (Arena local = Arena.ofConfined()) {
            MemorySegment reg = local.allocate(Uring.BUF_REG_SIZE, 8);
            reg.set(JAVA_LONG, 0, bufRing.address());
            reg.set(JAVA_INT, 8, entries);
            reg.set(JAVA_SHORT, 12, (short) group);
            long r = register(Uring.REGISTER_PBUF_RING, reg.address(), 1);
            if (r < 0) {
                throw new IOException("IORING_REGISTER_PBUF_RING: " + Libc.strerror((int) -r) + " (Linux 5.19+ needed)");
            }
        }
        for (int bid = 0; bid < count; bid++) {
            putBuffer(bid);
        }
        SHORT.setRelease(bufRing, (long) Uring.BUF_RING_TAIL, (short) bufTail);
    }

    MemorySegment buffers() {
        return buffers;
    }

    /** Gives buffer {@code bid} back to the kernel. */
    void recycle(int bid) {
        putBuffer(bid);
        // Release: the entry written above is visible before the kernel loads the new tail.
        SHORT.setRelease(bufRing, (long) Uring.BUF_RING_TAIL, (short) bufTail);
    }

    private void putBuffer(int bid) {
        long o = (long) (bufTail & bufMask) * Uring.BUF_SIZE;
        bufRing.set(JAVA_LONG, o, buffers.address() + (long) bid * bufSize);
        bufRing.set(JAVA_INT, o + 8, bufSize);
        bufRing.set(JAVA_SHORT, o + 12, (short) bid);
        bufTail++;
    }

    /** Unmaps the rings and closes the ring fd; the kernel cancels whatever is still in flight. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        unmap(sqes);
        unmap(sqRing);
        if (cqRing != sqRing) {
            unmap(cqRing);
        }
        Libc.closeQuietly(errno, ringFd);
    }

    /** Unmaps the provided buffers; only once the ring is closed and nothing can write into them. */
    void unmapBuffers() {
        unmap(bufRing);
        unmap(buffers);
        bufRing = null;
        buffers = null;
    }
}
