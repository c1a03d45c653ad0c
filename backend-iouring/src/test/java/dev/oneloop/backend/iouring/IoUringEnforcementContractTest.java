package dev.oneloop.backend.iouring;

import dev.oneloop.backend.contract.EnforcementContract;

class IoUringEnforcementContractTest extends EnforcementContract implements IoUring {}
