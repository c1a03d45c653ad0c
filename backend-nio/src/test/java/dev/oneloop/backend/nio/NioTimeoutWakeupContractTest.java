package dev.oneloop.backend.nio;

import dev.oneloop.backend.contract.TimeoutWakeupContract;

class NioTimeoutWakeupContractTest extends TimeoutWakeupContract implements Nio {}
