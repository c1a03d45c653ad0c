package dev.oneloop.sim;

import dev.oneloop.backend.contract.EchoContract;

class SimEchoContractTest extends EchoContract implements Sim {
    private final SimNetwork network = SimNetwork.realTime();

    @Override
    public SimNetwork network() {
        return network;
    }
}
