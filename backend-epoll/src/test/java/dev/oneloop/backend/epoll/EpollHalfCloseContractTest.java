package dev.oneloop.backend.epoll;

import dev.oneloop.backend.contract.HalfCloseContract;

class EpollHalfCloseContractTest extends HalfCloseContract implements Epoll {}
