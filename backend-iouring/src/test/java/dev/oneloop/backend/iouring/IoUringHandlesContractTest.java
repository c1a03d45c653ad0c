package dev.oneloop.backend.iouring;

import dev.oneloop.backend.contract.HandlesContract;

class IoUringHandlesContractTest extends HandlesContract implements IoUring {}
