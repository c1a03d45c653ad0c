package dev.oneloop.backend.epoll;

import dev.oneloop.backend.contract.BackpressureContract;

class EpollBackpressureContractTest extends BackpressureContract implements Epoll {}
