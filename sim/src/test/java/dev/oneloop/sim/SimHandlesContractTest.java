package dev.oneloop.sim;

import dev.oneloop.backend.contract.HandlesContract;

class SimHandlesContractTest extends HandlesContract implements Sim {
    private final SimNetwork network = SimNetwork.realTime();

    @Override
    public SimNetwork network() {
        return network;
    }
}
