package dev.oneloop.backend.iouring.netty;

import dev.oneloop.backend.contract.TimeoutWakeupContract;

class NettyIoUringTimeoutWakeupContractTest extends TimeoutWakeupContract implements NettyIoUring {}
