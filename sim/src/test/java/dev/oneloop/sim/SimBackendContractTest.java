package dev.oneloop.sim;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.BackendContractTest;
import dev.oneloop.backend.BackendProvider;
import dev.oneloop.backend.testing.Peer;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * The contract suite against {@link SimBackend} on a real-time {@link SimNetwork}, its clients
 * simulated peers instead of loopback sockets: the simulation must be a faithful backend before the
 * server's behaviour on it means anything.
 */
class SimBackendContractTest extends BackendContractTest {

    private final SimNetwork network = SimNetwork.realTime();

    @Override
    protected String backendName() {
        return "sim";
    }

    @Override
    protected BackendProvider backendProvider() {
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
    protected Peer.Connector peers() {
        return SimPeer.connector(network);
    }

    @Test
    @Override
    @Disabled("about real sockets: it counts what the JDK and the kernel path allocate per message; the simulation"
            + " allocates event objects per message by design and is not a production backend")
    protected void allocatesNothingPerMessageInSteadyState() {
    }
}
