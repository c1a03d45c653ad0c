package dev.oneloop.backend.iouring;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.oneloop.backend.BackendException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * The libc functions the backend calls, each linked once. Every handle that can fail captures
 * {@code errno} into a caller-owned segment ({@link #newErrnoSegment()}, one per loop thread,
 * allocated once): a segment per call would allocate. {@code syscall} is variadic from its second
 * argument; every variadic argument is passed as a full {@code long}. None is linked
 * {@code critical}: {@code io_uring_enter} blocks, and a critical call would hold off every GC
 * safepoint of the JVM while it waits.
 */
@SuppressWarnings("restricted") // this class is the one place that links native code
final class Libc {

    private Libc() {
    }

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    /** long syscall(long nr, long a1, long a2). */
    static final MethodHandle SYSCALL2 = syscall(2);
    /** long syscall(long nr, long a1, long a2, long a3, long a4). */
    static final MethodHandle SYSCALL4 = syscall(4);
    /** long syscall(long nr, long a1 .. a6): io_uring_enter. */
    static final MethodHandle SYSCALL6 = syscall(6);

    static final MethodHandle SOCKET = link("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    static final MethodHandle SETSOCKOPT = link("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT));
    static final MethodHandle BIND = link("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT));
    static final MethodHandle LISTEN = link("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    static final MethodHandle GETSOCKNAME = link("getsockname", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
    static final MethodHandle CLOSE = link("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    static final MethodHandle EVENTFD = link("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    static final MethodHandle MMAP = link("mmap",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    static final MethodHandle MUNMAP = link("munmap", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    /** write(2) without errno capture: wakeup() calls it from any thread, where no capture segment is owned. */
    static final MethodHandle WRITE_NO_ERRNO = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("write"),
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("strerror"),
            FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private static MethodHandle syscall(int args) {
        MemoryLayout[] layouts = new MemoryLayout[args + 1];
        Arrays.fill(layouts, JAVA_LONG);
        return LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow("syscall"), FunctionDescriptor.of(JAVA_LONG, layouts),
                Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
    }

    private static MethodHandle link(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().findOrThrow(name), descriptor, Linker.Option.captureCallState("errno"));
    }

    /** The errno capture segment of one thread; allocate once, from an arena that outlives its use. */
    static MemorySegment newErrnoSegment(java.lang.foreign.Arena arena) {
        return arena.allocate(CAPTURE);
    }

    static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    /** "Too many open files" for EMFILE (libc's text). */
    static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    /**
     * The typed exception for a failed call or a negative CQE result, positive or negated errno:
     * {@code accept failed: EMFILE (Too many open files)}, kind and errno as every backend reports them.
     */
    static BackendException error(String call, int errno) {
        return BackendException.ofErrno(call, errno);
    }

    static void closeQuietly(MemorySegment capture, int fd) {
        if (fd >= 0) {
            try {
                int r = (int) CLOSE.invokeExact(capture, fd);
                assert r == 0 || r == -1;
            } catch (Throwable t) {
                throw new IllegalStateException("close(" + fd + ")", t);
            }
        }
    }

    /** Turns a Throwable from {@code invokeExact} into an unchecked one: a downcall itself cannot throw. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
