package dev.oneloop.sim;

import dev.oneloop.backend.contract.EnforcementContract;

class SimEnforcementContractTest extends EnforcementContract implements Sim {
    private final SimNetwork network = SimNetwork.realTime();

    @Override
    public SimNetwork network() {
        return network;
    }
}
