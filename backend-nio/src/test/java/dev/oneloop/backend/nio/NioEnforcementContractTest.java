package dev.oneloop.backend.nio;

import dev.oneloop.backend.contract.EnforcementContract;

class NioEnforcementContractTest extends EnforcementContract implements Nio {}
