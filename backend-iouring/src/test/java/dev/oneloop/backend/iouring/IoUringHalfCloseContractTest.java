package dev.oneloop.backend.iouring;

import dev.oneloop.backend.contract.HalfCloseContract;

class IoUringHalfCloseContractTest extends HalfCloseContract implements IoUring {}
