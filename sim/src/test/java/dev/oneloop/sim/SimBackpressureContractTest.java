package dev.oneloop.sim;

import dev.oneloop.backend.contract.BackpressureContract;

class SimBackpressureContractTest extends BackpressureContract implements Sim {
    private final SimNetwork network = SimNetwork.realTime();

    @Override
    public SimNetwork network() {
        return network;
    }
}
