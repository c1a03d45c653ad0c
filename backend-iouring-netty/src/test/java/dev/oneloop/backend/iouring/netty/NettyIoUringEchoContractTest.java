package dev.oneloop.backend.iouring.netty;

import dev.oneloop.backend.contract.EchoContract;

class NettyIoUringEchoContractTest extends EchoContract implements NettyIoUring {}
