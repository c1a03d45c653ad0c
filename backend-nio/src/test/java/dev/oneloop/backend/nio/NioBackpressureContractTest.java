package dev.oneloop.backend.nio;

import dev.oneloop.backend.contract.BackpressureContract;

class NioBackpressureContractTest extends BackpressureContract implements Nio {}
