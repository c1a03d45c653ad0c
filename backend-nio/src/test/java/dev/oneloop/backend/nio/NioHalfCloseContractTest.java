package dev.oneloop.backend.nio;

import dev.oneloop.backend.contract.HalfCloseContract;

class NioHalfCloseContractTest extends HalfCloseContract implements Nio {}
