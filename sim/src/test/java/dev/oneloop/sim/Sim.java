package dev.oneloop.sim;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.BackendProvider;
import dev.oneloop.backend.contract.BackendUnderTest;
import dev.oneloop.backend.testing.Peer;

/**
 * The contract suites run against {@link SimBackend} on a real-time {@link SimNetwork}, its clients
 * simulated peers instead of loopback sockets: the simulation must be a faithful backend before the
 * server's behaviour on it means anything. The provider and the peers share one network per test
 * instance, which each {@code Sim*ContractTest} holds in a field and hands out by {@link #network()}.
 *
 * <p>Not every suite applies. The simulation has no subclass of {@code AllocationContract}: that
 * suite is about real sockets (it counts what the JDK and the kernel path allocate per message,
 * with a plain {@code java.net.Socket} as client), and the simulation allocates event objects per
 * message by design and is not a production backend. Nor of {@code FdExhaustionContract}: the
 * simulation has no file descriptors to run out of (its injected EMFILE faults are the simulator's
 * own business). Tests about kernel sockets in the other suites skip on {@link #kernelSockets()}.
 */
interface Sim extends BackendUnderTest {

    /** The simulated network of the current test instance. */
    SimNetwork network();

    @Override
    default String backendName() {
        return "sim";
    }

    @Override
    default BackendProvider backendProvider() {
        SimNetwork network = network();
        return new BackendProvider() {
            @Override
            public String name() {
                return "sim";
            }

            @Override
            public boolean isAvailable() {
                return true;
            }

            @Override
            public Throwable unavailabilityCause() {
                return null;
            }

            @Override
            public Backend open(BackendConfig config) {
                return new SimBackend(network, config);
            }
        };
    }

    @Override
    default Peer.Connector peers() {
        return SimPeer.connector(network());
    }

    /** Listeners and connections of a simulated network: ports without addresses or socket families, unreachable from outside. */
    @Override
    default boolean kernelSockets() {
        return false;
    }
}
