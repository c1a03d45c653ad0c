package dev.oneloop.backend.iouring;

import dev.oneloop.backend.contract.FdExhaustionContract;

class IoUringFdExhaustionContractTest extends FdExhaustionContract implements IoUring {}
