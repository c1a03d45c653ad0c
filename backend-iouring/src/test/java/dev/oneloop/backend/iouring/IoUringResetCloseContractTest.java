package dev.oneloop.backend.iouring;

import dev.oneloop.backend.contract.ResetCloseContract;

class IoUringResetCloseContractTest extends ResetCloseContract implements IoUring {}
