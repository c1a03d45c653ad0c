package dev.oneloop.sim;

import dev.oneloop.backend.contract.ResetCloseContract;

class SimResetCloseContractTest extends ResetCloseContract implements Sim {
    private final SimNetwork network = SimNetwork.realTime();

    @Override
    public SimNetwork network() {
        return network;
    }
}
