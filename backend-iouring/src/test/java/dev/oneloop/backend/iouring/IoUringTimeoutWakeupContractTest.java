package dev.oneloop.backend.iouring;

import dev.oneloop.backend.contract.TimeoutWakeupContract;

class IoUringTimeoutWakeupContractTest extends TimeoutWakeupContract implements IoUring {}
