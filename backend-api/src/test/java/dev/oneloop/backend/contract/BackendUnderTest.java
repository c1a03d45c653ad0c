package dev.oneloop.backend.contract;

import dev.oneloop.backend.BackendProvider;
import dev.oneloop.backend.testing.Peer;
import dev.oneloop.backend.testing.RequiredBackends;

/**
 * The backend a contract suite runs against: the per-backend hooks, as default methods, so that a
 * backend names itself once, in an interface of its own, and each topic suite is subclassed for it
 * in one line:
 *
 * <pre>{@code
 * interface Nio extends BackendUnderTest {
 *     default String backendName() { return "nio"; }
 * }
 * class NioEchoContractTest extends EchoContract implements Nio {}
 * }</pre>
 *
 * {@link ContractSuite} implements this interface but defines none of its methods: a method of a
 * class would win over the backend interface's defaults.
 */
public interface BackendUnderTest {

    /** The {@link BackendProvider#name()} of the backend under test. */
    String backendName();

    /**
     * Bytes the mechanism underneath the backend (not the backend's own code) allocates per
     * {@code poll}, which the steady-state allocation test then tolerates per poll, and only per
     * poll. Zero unless a backend names an upstream cause.
     */
    default long mechanismBytesPerPoll() {
        return 0;
    }

    /**
     * The provider the suite opens; by default the one {@link java.util.ServiceLoader} finds under
     * {@link #backendName()}. A backend that is not a service (a simulation) hands its own.
     */
    default BackendProvider backendProvider() {
        return RequiredBackends.provider(backendName());
    }

    /**
     * How the suite's clients connect: real loopback sockets by default. A simulated network hands
     * peers of its own, which the same test bodies then drive.
     */
    default Peer.Connector peers() {
        return Peer.Connector.LOOPBACK;
    }

    /**
     * Whether the backend's listeners and connections are kernel sockets, which clients outside the
     * suite's {@link #peers()} (a plain {@link java.net.Socket}, a child JVM) can reach and whose
     * address families are the kernel's. A simulated network answers {@code false}; the few tests
     * about kernel sockets then skip, saying why.
     */
    default boolean kernelSockets() {
        return true;
    }
}
