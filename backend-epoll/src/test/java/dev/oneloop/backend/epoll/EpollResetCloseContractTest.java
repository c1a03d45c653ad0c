package dev.oneloop.backend.epoll;

import dev.oneloop.backend.contract.ResetCloseContract;

class EpollResetCloseContractTest extends ResetCloseContract implements Epoll {}
