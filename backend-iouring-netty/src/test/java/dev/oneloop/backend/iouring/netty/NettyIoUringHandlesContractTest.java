package dev.oneloop.backend.iouring.netty;

import dev.oneloop.backend.contract.HandlesContract;

class NettyIoUringHandlesContractTest extends HandlesContract implements NettyIoUring {}
