package dev.oneloop.sim;

import dev.oneloop.backend.contract.TimeoutWakeupContract;

class SimTimeoutWakeupContractTest extends TimeoutWakeupContract implements Sim {
    private final SimNetwork network = SimNetwork.realTime();

    @Override
    public SimNetwork network() {
        return network;
    }
}
