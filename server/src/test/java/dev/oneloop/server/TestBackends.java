package dev.oneloop.server;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.oneloop.backend.BackendProvider;
import dev.oneloop.backend.Backends;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The backends server tests run on: every provider found, plus every name listed in
 * {@value #REQUIRED_PROPERTY}, so that a required backend that failed to load fails its tests
 * instead of silently vanishing from the parameter list.
 */
final class TestBackends {

    static final String REQUIRED_PROPERTY = "oneloop.test.requiredBackends";

    private TestBackends() {
    }

    static Set<String> required() {
        return Arrays.stream(System.getProperty(REQUIRED_PROPERTY, "").split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toCollection(LinkedHashSet::new));
    }

    /** Method source for {@code @ParameterizedTest}s. */
    static Stream<String> names() {
        Set<String> names = new LinkedHashSet<>();
        Backends.providers().forEach(p -> names.add(p.name()));
        names.addAll(required());
        return names.stream();
    }

    /** Fails if {@code name} is required but cannot run here; skips the test if it is optional and cannot run. */
    static void assumeUsable(String name) {
        Optional<BackendProvider> provider = Backends.providers().stream().filter(p -> p.name().equals(name)).findFirst();
        if (provider.isPresent() && provider.get().isAvailable()) {
            return;
        }
        Throwable cause = provider.map(BackendProvider::unavailabilityCause).orElse(null);
        String problem = provider.isEmpty() ? "has no provider on the class path" : "is unavailable: " + cause;
        if (required().contains(name)) {
            fail("backend '" + name + "' is required by -D" + REQUIRED_PROPERTY + " but " + problem, cause);
        }
        assumeTrue(false, "backend '" + name + "' " + problem);
    }
}
