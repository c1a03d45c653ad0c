package dev.oneloop.backend.iouring;

import java.util.Locale;

/**
 * The kernel ABI this backend speaks, and nothing else: syscall numbers, {@code linux/io_uring.h}
 * opcodes, flags and struct offsets (kernel uapi values; the headers installed here are older than
 * some of them), and the few socket and errno constants. x86_64 and aarch64 share every value used
 * here, including the io_uring syscall numbers (425, 426, 427).
 */
final class Uring {

    private Uring() {
    }

    // ---- syscalls
    static final long NR_IO_URING_SETUP = 425;
    static final long NR_IO_URING_ENTER = 426;
    static final long NR_IO_URING_REGISTER = 427;

    /** {@code null} when this architecture's syscall numbers are known, else why not. */
    static String unsupportedArchitecture() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!os.startsWith("linux")) {
            return "io_uring needs Linux, not " + System.getProperty("os.name");
        }
        return switch (arch) {
            case "amd64", "x86_64", "aarch64" -> null;
            default -> "no io_uring syscall numbers for architecture " + arch + " (known: x86_64, aarch64)";
        };
    }

    // ---- io_uring_setup(2): struct io_uring_params (120 bytes)
    static final int PARAMS_SIZE = 120;
    static final int P_SQ_ENTRIES = 0;
    static final int P_CQ_ENTRIES = 4;
    static final int P_FLAGS = 8;
    static final int P_FEATURES = 20;
    /** struct io_sqring_offsets at 40. */
    static final int P_SQ_HEAD = 40;
    static final int P_SQ_TAIL = 44;
    static final int P_SQ_RING_MASK = 48;
    static final int P_SQ_RING_ENTRIES = 52;
    static final int P_SQ_FLAGS = 56;
    static final int P_SQ_ARRAY = 64;
    /** struct io_cqring_offsets at 80. */
    static final int P_CQ_HEAD = 80;
    static final int P_CQ_TAIL = 84;
    static final int P_CQ_RING_MASK = 88;
    static final int P_CQ_RING_ENTRIES = 92;
    static final int P_CQ_OVERFLOW = 96;
    static final int P_CQ_CQES = 100;

    static final int SETUP_CQSIZE = 1 << 3;
    static final int SETUP_CLAMP = 1 << 4;
    static final int SETUP_SUBMIT_ALL = 1 << 7;
    static final int SETUP_COOP_TASKRUN = 1 << 8;
    static final int SETUP_TASKRUN_FLAG = 1 << 9;
    static final int SETUP_SINGLE_ISSUER = 1 << 12;
    static final int SETUP_DEFER_TASKRUN = 1 << 13;
    static final int SETUP_NO_SQARRAY = 1 << 16;

    static final int FEAT_SINGLE_MMAP = 1;
    static final int FEAT_NODROP = 1 << 1;
    static final int FEAT_EXT_ARG = 1 << 8;

    /** mmap offsets of the rings. */
    static final long OFF_SQ_RING = 0;
    static final long OFF_CQ_RING = 0x8000000L;
    static final long OFF_SQES = 0x10000000L;

    /** Flags the kernel sets in the SQ ring's flags word. */
    static final int SQ_CQ_OVERFLOW = 1 << 1;
    static final int SQ_TASKRUN = 1 << 2;

    // ---- io_uring_enter(2)
    static final int ENTER_GETEVENTS = 1;
    static final int ENTER_EXT_ARG = 1 << 3;
    static final int ENTER_REGISTERED_RING = 1 << 4;
    /** struct io_uring_getevents_arg { u64 sigmask; u32 sigmask_sz; u32 min_wait_usec; u64 ts; }. */
    static final int GETEVENTS_ARG_SIZE = 24;
    static final int GETEVENTS_ARG_TS = 16;
    /** struct __kernel_timespec { i64 tv_sec; i64 tv_nsec; }. */
    static final int TIMESPEC_SIZE = 16;

    // ---- io_uring_register(2)
    static final int REGISTER_PROBE = 8;
    static final int REGISTER_RING_FDS = 20;
    static final int REGISTER_PBUF_RING = 22;
    /** struct io_uring_probe: 16-byte header, then 8 bytes per op; op flag IO_URING_OP_SUPPORTED = 1. */
    static final int PROBE_HEADER = 16;
    static final int PROBE_OP_SIZE = 8;
    static final int PROBE_OPS = 256;
    static final int PROBE_OP_SUPPORTED = 1;
    /** struct io_uring_rsrc_update { u32 offset; u32 resv; u64 data; }. */
    static final int RSRC_UPDATE_SIZE = 16;
    /** struct io_uring_buf_reg { u64 ring_addr; u32 ring_entries; u16 bgid; u16 flags; u64 resv[3]; }. */
    static final int BUF_REG_SIZE = 40;
    /** struct io_uring_buf { u64 addr; u32 len; u16 bid; u16 resv; }; the ring's tail overlays bufs[0].resv. */
    static final int BUF_SIZE = 16;
    static final int BUF_RING_TAIL = 14;
    static final int MAX_BUF_RING_ENTRIES = 1 << 15;

    // ---- struct io_uring_sqe (64 bytes)
    static final int SQE_SIZE = 64;
    static final int SQE_OPCODE = 0;
    static final int SQE_FLAGS = 1;
    static final int SQE_IOPRIO = 2;
    static final int SQE_FD = 4;
    static final int SQE_OFF = 8;
    static final int SQE_ADDR = 16;
    static final int SQE_LEN = 24;
    static final int SQE_OP_FLAGS = 28;
    static final int SQE_USER_DATA = 32;
    static final int SQE_BUF_GROUP = 40;
    static final int SQE_PERSONALITY = 42;
    /** file_index / optlen (a multishot RECV's total byte limit since Linux 6.17). */
    static final int SQE_FILE_INDEX = 44;
    static final int SQE_ADDR3 = 48;
    static final int SQE_PAD = 56;

    static final int SQE_BUFFER_SELECT = 1 << 5;

    static final byte OP_NOP = 0;
    static final byte OP_POLL_ADD = 6;
    static final byte OP_ACCEPT = 13;
    static final byte OP_ASYNC_CANCEL = 14;
    static final byte OP_SEND = 26;
    static final byte OP_RECV = 27;
    static final byte OP_SEND_ZC = 47;

    static String opName(int op) {
        return switch (op) {
            case OP_NOP -> "NOP";
            case OP_POLL_ADD -> "POLL_ADD";
            case OP_ACCEPT -> "ACCEPT";
            case OP_ASYNC_CANCEL -> "ASYNC_CANCEL";
            case OP_SEND -> "SEND";
            case OP_RECV -> "RECV";
            case OP_SEND_ZC -> "SEND_ZC";
            default -> "opcode " + op;
        };
    }

    /** POLL_ADD: multishot flag in the SQE's len, events in its op flags. */
    static final int POLL_ADD_MULTI = 1;
    static final int POLLIN = 1;

    /** In the SQE's ioprio. */
    static final int ACCEPT_MULTISHOT = 1;
    static final int RECV_MULTISHOT = 1 << 1;

    // ---- struct io_uring_cqe (16 bytes: u64 user_data; i32 res; u32 flags)
    static final int CQE_SIZE = 16;
    static final int CQE_USER_DATA = 0;
    static final int CQE_RES = 8;
    static final int CQE_FLAGS = 12;
    static final int CQE_F_BUFFER = 1;
    static final int CQE_F_MORE = 1 << 1;
    static final int CQE_BUFFER_SHIFT = 16;

    // ---- sockets, mmap, eventfd
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int SOCK_STREAM = 1;
    static final int SOCK_CLOEXEC = 02000000;
    static final int SOL_SOCKET = 1;
    static final int SO_REUSEADDR = 2;
    static final int IPPROTO_TCP = 6;
    static final int TCP_NODELAY = 1;
    static final int MSG_NOSIGNAL = 0x4000;
    static final int SOCKADDR_STORAGE = 128;
    static final int PROT_READ_WRITE = 3;
    static final int MAP_SHARED = 1;
    static final int MAP_PRIVATE = 2;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_POPULATE = 0x8000;
    static final int EFD_CLOEXEC = 02000000;

    // ---- errno
    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int ENOMEM = 12;
    static final int EBUSY = 16;
    static final int EINVAL = 22;
    static final int ENOSYS = 38;
    static final int ETIME = 62;
    static final int ENOBUFS = 105;
    static final int EALREADY = 114;
    static final int ECANCELED = 125;
}
