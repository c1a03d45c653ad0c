package dev.oneloop.backend.nio;

import dev.oneloop.backend.contract.AllocationContract;

class NioAllocationContractTest extends AllocationContract implements Nio {}
