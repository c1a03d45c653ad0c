package dev.oneloop.backend.iouring.netty;

import dev.oneloop.backend.contract.AllocationContract;

class NettyIoUringAllocationContractTest extends AllocationContract implements NettyIoUring {}
