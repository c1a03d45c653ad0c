package dev.oneloop.backend.iouring.netty;

import io.netty.channel.unix.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Native memory the kernel reads or writes on a connection's behalf, one block per handle slot,
 * allocated on the slot's first use and kept for the next connection in that slot (a slot is reused
 * only after the kernel has posted its last completion, so nothing in flight still points here).
 *
 * <pre>
 * [0, readBufferSize)          the RECV buffer
 * [msghdrOffset, +56)          struct msghdr of the SENDMSG: one iovec, no name, no control
 * [msghdrOffset + 56, +16)     struct iovec: the caller's write buffer, rewritten per submission
 * </pre>
 */
final class SlotMemory {

    private static final int MSGHDR_SIZE = 56;
    private static final int MSG_IOV = 16;
    private static final int MSG_IOVLEN = 24;
    private static final int IOVEC_SIZE = 16;

    private final int readBufferSize;
    private final int msghdrOffset;
    private final int iovOffset;
    private final ByteBuffer[] blocks;
    private final ByteBuffer[] readViews;
    private final long[] addresses;

    SlotMemory(int slots, int readBufferSize) {
        this.readBufferSize = readBufferSize;
        this.msghdrOffset = (readBufferSize + 7) & ~7;
        this.iovOffset = msghdrOffset + MSGHDR_SIZE;
        blocks = new ByteBuffer[slots];
        readViews = new ByteBuffer[slots];
        addresses = new long[slots];
    }

    /** Bytes pinned per slot once used. */
    int blockSize() {
        return iovOffset + IOVEC_SIZE;
    }

    int readBufferSize() {
        return readBufferSize;
    }

    long readBufferAddress(int slot) {
        return block(slot);
    }

    long msghdrAddress(int slot) {
        return block(slot) + msghdrOffset;
    }

    /** Points the slot's iovec at {@code length} bytes from {@code address}; the next SENDMSG sends them. */
    void setIovec(int slot, long address, long length) {
        ByteBuffer block = blocks[slot];
        block.putLong(iovOffset, address);
        block.putLong(iovOffset + 8, length);
    }

    /** A read-only view of the first {@code length} received bytes; the same object every time. */
    ByteBuffer received(int slot, int length) {
        ByteBuffer view = readViews[slot];
        view.limit(length).position(0);
        return view;
    }

    private long block(int slot) {
        if (blocks[slot] == null) {
            ByteBuffer block = ByteBuffer.allocateDirect(blockSize()).order(ByteOrder.nativeOrder());
            long address = Buffer.memoryAddress(block);
            // allocateDirect zeroes the memory: msg_name, msg_control and msg_flags stay 0.
            block.putLong(msghdrOffset + MSG_IOV, address + iovOffset);
            block.putLong(msghdrOffset + MSG_IOVLEN, 1);
            blocks[slot] = block;
            readViews[slot] = block.slice(0, readBufferSize).asReadOnlyBuffer();
            addresses[slot] = address;
        }
        return addresses[slot];
    }
}
