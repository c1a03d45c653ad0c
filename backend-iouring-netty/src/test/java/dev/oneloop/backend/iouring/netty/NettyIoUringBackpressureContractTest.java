package dev.oneloop.backend.iouring.netty;

import dev.oneloop.backend.contract.BackpressureContract;

class NettyIoUringBackpressureContractTest extends BackpressureContract implements NettyIoUring {}
