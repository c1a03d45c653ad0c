package dev.oneloop.backend.iouring;

import dev.oneloop.backend.contract.AllocationContract;

class IoUringAllocationContractTest extends AllocationContract implements IoUring {}
