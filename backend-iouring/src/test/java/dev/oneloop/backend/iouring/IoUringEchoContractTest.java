package dev.oneloop.backend.iouring;

import dev.oneloop.backend.contract.EchoContract;

class IoUringEchoContractTest extends EchoContract implements IoUring {}
