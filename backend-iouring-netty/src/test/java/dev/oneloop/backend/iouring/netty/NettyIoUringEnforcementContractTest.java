package dev.oneloop.backend.iouring.netty;

import dev.oneloop.backend.contract.EnforcementContract;

class NettyIoUringEnforcementContractTest extends EnforcementContract implements NettyIoUring {}
