package dev.oneloop.backend.iouring.netty;

import dev.oneloop.backend.contract.FdExhaustionContract;

class NettyIoUringFdExhaustionContractTest extends FdExhaustionContract implements NettyIoUring {}
