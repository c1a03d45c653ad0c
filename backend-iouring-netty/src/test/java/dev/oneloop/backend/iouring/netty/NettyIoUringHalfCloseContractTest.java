package dev.oneloop.backend.iouring.netty;

import dev.oneloop.backend.contract.HalfCloseContract;

class NettyIoUringHalfCloseContractTest extends HalfCloseContract implements NettyIoUring {}
