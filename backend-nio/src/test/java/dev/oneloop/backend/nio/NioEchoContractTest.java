package dev.oneloop.backend.nio;

import dev.oneloop.backend.contract.EchoContract;

class NioEchoContractTest extends EchoContract implements Nio {}
