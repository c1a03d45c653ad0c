package dev.oneloop.backend.iouring.netty;

/**
 * The Linux uapi numbers this backend puts into submissions and reads out of completions
 * ({@code include/uapi/linux/io_uring.h}, {@code asm-generic/errno*.h}, {@code bits/socket.h}).
 * Netty keeps its own copies package-private, so the raw {@code IoUringIoOps} constructor needs them here.
 */
final class Uapi {

    static final byte IORING_OP_SENDMSG = 9;
    static final byte IORING_OP_ACCEPT = 13;
    static final byte IORING_OP_ASYNC_CANCEL = 14;
    static final byte IORING_OP_RECV = 27;

    /** {@code sqe->ioprio} flag of ACCEPT: keep accepting, one completion per connection. */
    static final short IORING_ACCEPT_MULTISHOT = 1;
    /** {@code cqe->flags}: the request stays armed and will complete again. */
    static final int IORING_CQE_F_MORE = 1 << 1;

    static final int MSG_NOSIGNAL = 0x4000;
    static final int SOCK_CLOEXEC = 0x80000;

    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int ENOBUFS = 105;
    static final int ECANCELED = 125;

    private Uapi() {
    }
}
