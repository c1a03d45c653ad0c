package dev.oneloop.backend.epoll;

import dev.oneloop.backend.contract.TimeoutWakeupContract;

class EpollTimeoutWakeupContractTest extends TimeoutWakeupContract implements Epoll {}
