package dev.oneloop.backend.iouring;

import dev.oneloop.backend.contract.BackpressureContract;

class IoUringBackpressureContractTest extends BackpressureContract implements IoUring {}
