package dev.oneloop.backend.epoll;

import dev.oneloop.backend.contract.HandlesContract;

class EpollHandlesContractTest extends HandlesContract implements Epoll {}
