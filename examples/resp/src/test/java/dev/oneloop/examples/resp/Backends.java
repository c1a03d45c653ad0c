package dev.oneloop.examples.resp;

import dev.oneloop.backend.BackendProvider;
import dev.oneloop.backend.testing.RequiredBackends;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The backends the tests run on: every provider found plus every name in
 * {@code -Doneloop.test.requiredBackends}, so a required backend that failed to load fails its tests
 * ({@link RequiredBackends}) instead of vanishing from the parameter list.
 */
final class Backends {

    private Backends() {
    }

    /** Method source for {@code @ParameterizedTest}s. */
    static Stream<String> names() {
        Set<String> names = new LinkedHashSet<>();
        dev.oneloop.backend.Backends.providers().forEach(p -> names.add(p.name()));
        names.addAll(RequiredBackends.names());
        return names.stream();
    }

    /** Starts a server on {@code backend}, failing (required) or skipping (optional) if it cannot run here. */
    static RespServerThread start(String backend, RespConfig config) throws Exception {
        BackendProvider provider = RequiredBackends.provider(backend);
        return RespServerThread.start(provider.name(), config.withPort(0));
    }
}
