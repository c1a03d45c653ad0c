package dev.oneloop.backend.epoll;

import dev.oneloop.backend.contract.EchoContract;

class EpollEchoContractTest extends EchoContract implements Epoll {}
