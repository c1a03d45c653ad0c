package dev.oneloop.backend.iouring.netty;

import dev.oneloop.backend.contract.ResetCloseContract;

class NettyIoUringResetCloseContractTest extends ResetCloseContract implements NettyIoUring {}
