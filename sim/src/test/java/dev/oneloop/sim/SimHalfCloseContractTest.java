package dev.oneloop.sim;

import dev.oneloop.backend.contract.HalfCloseContract;

class SimHalfCloseContractTest extends HalfCloseContract implements Sim {
    private final SimNetwork network = SimNetwork.realTime();

    @Override
    public SimNetwork network() {
        return network;
    }
}
