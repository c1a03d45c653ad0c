package dev.oneloop.backend.epoll;

import dev.oneloop.backend.contract.EnforcementContract;

class EpollEnforcementContractTest extends EnforcementContract implements Epoll {}
