package dev.oneloop.sim;

/**
 * A violated invariant or a misuse of the {@code Backend} that the simulation detected. An
 * {@link AssertionError}, so that no application code catching exceptions can swallow it.
 */
public final class SimFailure extends AssertionError {

    private static final long serialVersionUID = 1L;

    public SimFailure(String message) {
        super(message);
    }
}
