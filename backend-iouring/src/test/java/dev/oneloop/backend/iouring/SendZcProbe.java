package dev.oneloop.backend.iouring;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * Does IORING_OP_SEND_ZC pay for large writes here? Sends {@code total} bytes over loopback TCP in
 * writes of 256 KiB .. 16 MiB, with SEND and with SEND_ZC (a write counts as done only at its
 * notification, as the backend would need before onWritten), and prints throughput and the loop
 * thread's CPU per GiB. A reader thread drains the other end. Run:
 * {@code java --enable-native-access=ALL-UNNAMED -cp <test classpath> dev.oneloop.backend.iouring.SendZcProbe [MiB per case]}
 */
public final class SendZcProbe {

    private static final int CQE_F_NOTIF = 1 << 3;
    private static final int SEND_ZC_REPORT_USAGE = 1 << 3;
    private static final int NOTIF_USAGE_ZC_COPIED = 1 << 31;

    private SendZcProbe() {
    }

    public static void main(String[] args) throws Throwable {
        long totalPerCase = (args.length > 0 ? Long.parseLong(args[0]) : 2048) << 20;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment errno = Libc.newErrnoSegment(arena);
            Ring ring = Ring.open(64, 256, errno, arena);
            int listenFd = (int) Libc.SOCKET.invokeExact(errno, Uring.AF_INET, Uring.SOCK_STREAM, 0);
            MemorySegment sa = arena.allocate(16, 8);
            sa.set(JAVA_SHORT, 0, (short) Uring.AF_INET);
            sa.set(JAVA_BYTE, 4, (byte) 127);
            sa.set(JAVA_BYTE, 7, (byte) 1);
            check((int) Libc.BIND.invokeExact(errno, listenFd, sa.address(), 16), "bind");
            check((int) Libc.LISTEN.invokeExact(errno, listenFd, 1), "listen");
            MemorySegment len = arena.allocateFrom(JAVA_INT, 16);
            check((int) Libc.GETSOCKNAME.invokeExact(errno, listenFd, sa.address(), len.address()), "getsockname");
            int port = ((sa.get(JAVA_BYTE, 2) & 0xff) << 8) | (sa.get(JAVA_BYTE, 3) & 0xff);

            Thread reader = Thread.ofPlatform().daemon().start(() -> {
                try (SocketChannel channel = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
                    ByteBuffer sink = ByteBuffer.allocateDirect(1 << 20);
                    while (channel.read(sink.clear()) >= 0) {
                        // discard
                    }
                } catch (Exception e) {
                    // the probe ended
                }
            });
            ring.prep(Uring.OP_ACCEPT, 0, 0, listenFd, 0, 0, 0, 1, 0);
            ring.enter(1, Uring.ENTER_GETEVENTS, -1);
            int fd = ring.result(ring.cqHead());
            ring.advanceCq(ring.cqHead() + 1);
            check(fd, "accept");

            com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            System.out.println("write size | op      | GiB/s | loop-thread CPU ms per GiB | notifications copied");
            for (int round = 0; round < 2; round++) { // the first round warms up; the second is printed
                for (int size : new int[] {256 << 10, 1 << 20, 4 << 20, 16 << 20}) {
                    MemorySegment buffer = Ring.mapAnonymous(size, errno);
                    buffer.fill((byte) 7);
                    for (boolean zc : new boolean[] {false, true}) {
                        long writes = Math.max(1, totalPerCase / size);
                        long cpu0 = mx.getCurrentThreadCpuTime();
                        long t0 = System.nanoTime();
                        long copied = 0;
                        for (long w = 0; w < writes; w++) {
                            copied += sendAll(ring, fd, buffer.address(), size, zc);
                        }
                        long t1 = System.nanoTime();
                        long cpu1 = mx.getCurrentThreadCpuTime();
                        double gib = writes * (double) size / (1L << 30);
                        if (round == 1) {
                            System.out.printf("%7d KiB | %-7s | %5.2f | %6.0f | %d of %d%n", size >> 10, zc ? "SEND_ZC" : "SEND",
                                    gib / ((t1 - t0) / 1e9), (cpu1 - cpu0) / 1e6 / gib, copied, zc ? writes : 0);
                        }
                    }
                }
            }
            Libc.closeQuietly(errno, fd);
            Libc.closeQuietly(errno, listenFd);
            reader.join(2000);
            ring.close();
        }
    }

    /** Sends all {@code size} bytes, continuing short sends; for SEND_ZC waits for every notification. Returns copied notifications. */
    private static long sendAll(Ring ring, int fd, long address, int size, boolean zc) {
        int offset = 0;
        int notificationsDue = 0;
        long copied = 0;
        boolean sending = false;
        while (offset < size || sending || notificationsDue > 0) {
            if (!sending && offset < size) {
                ring.prep(zc ? Uring.OP_SEND_ZC : Uring.OP_SEND, 0, zc ? SEND_ZC_REPORT_USAGE : 0, fd, address + offset, size - offset,
                        Uring.MSG_NOSIGNAL, 2, 0);
                sending = true;
            }
            ring.enter(1, Uring.ENTER_GETEVENTS, -1);
            int head = ring.cqHead();
            int tail = ring.cqTailAcquire();
            while (head != tail) {
                int res = ring.result(head);
                int flags = ring.flags(head);
                head++;
                if ((flags & CQE_F_NOTIF) != 0) {
                    notificationsDue--;
                    if ((res & NOTIF_USAGE_ZC_COPIED) != 0) {
                        copied++;
                    }
                } else {
                    if (res < 0) {
                        throw new IllegalStateException("send: " + Libc.strerror(-res));
                    }
                    offset += res;
                    sending = false;
                    if ((flags & Uring.CQE_F_MORE) != 0) {
                        notificationsDue++;
                    }
                }
            }
            ring.advanceCq(head);
        }
        return copied;
    }

    private static void check(int r, String what) {
        if (r < 0) {
            throw new IllegalStateException(what + " failed");
        }
    }
}
