package dev.oneloop.backend.epoll;

import dev.oneloop.backend.contract.FdExhaustionContract;

class EpollFdExhaustionContractTest extends FdExhaustionContract implements Epoll {}
