package dev.oneloop.backend.nio;

import dev.oneloop.backend.contract.HandlesContract;

class NioHandlesContractTest extends HandlesContract implements Nio {}
