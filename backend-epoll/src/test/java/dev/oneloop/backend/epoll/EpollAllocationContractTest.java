package dev.oneloop.backend.epoll;

import dev.oneloop.backend.contract.AllocationContract;

class EpollAllocationContractTest extends AllocationContract implements Epoll {}
