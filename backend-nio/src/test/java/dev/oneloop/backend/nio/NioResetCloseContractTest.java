package dev.oneloop.backend.nio;

import dev.oneloop.backend.contract.ResetCloseContract;

class NioResetCloseContractTest extends ResetCloseContract implements Nio {}
