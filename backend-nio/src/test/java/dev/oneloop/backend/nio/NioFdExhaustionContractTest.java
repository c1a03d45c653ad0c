package dev.oneloop.backend.nio;

import dev.oneloop.backend.contract.FdExhaustionContract;

class NioFdExhaustionContractTest extends FdExhaustionContract implements Nio {}
