package dev.oneloop.backend.testing;

import dev.oneloop.backend.BackendProvider;
import dev.oneloop.backend.Backends;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;

/**
 * Which backends a test run must find working, from the system property {@value #PROPERTY}
 * (a comma list, set by the parent pom and {@code .ci/run}). A listed backend that cannot run fails
 * the tests with its cause; an unlisted one is skipped, so a laptop without io_uring stays green
 * while CI insists on every backend.
 */
public final class RequiredBackends {

    public static final String PROPERTY = "oneloop.test.requiredBackends";

    private RequiredBackends() {
    }

    public static Set<String> names() {
        return Arrays.stream(System.getProperty(PROPERTY, "").split(","))
                .map(name -> name.trim().toLowerCase(Locale.ROOT))
                .filter(name -> !name.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
    }

    public static boolean isRequired(String backendName) {
        return names().contains(backendName);
    }

    /**
     * The provider called {@code backendName}, if {@link java.util.ServiceLoader} finds it and it
     * reports itself available; otherwise fails (required) or aborts (not required) the test.
     */
    public static BackendProvider provider(String backendName) {
        List<BackendProvider> providers = Backends.providers();
        BackendProvider provider = providers.stream().filter(p -> p.name().equals(backendName)).findFirst().orElse(null);
        if (provider == null) {
            throw unavailable(backendName, new IllegalStateException("no provider named '" + backendName
                    + "' on the class path; found: " + providers.stream().map(BackendProvider::name).toList()));
        }
        if (!provider.isAvailable()) {
            Throwable cause = provider.unavailabilityCause();
            throw unavailable(backendName, cause != null ? cause
                    : new IllegalStateException("provider reports itself unavailable without a cause"));
        }
        return provider;
    }

    /**
     * Stops the current test because {@code backendName} cannot run: an {@link AssertionError}
     * carrying {@code cause} when the backend is required, a skipped test otherwise.
     */
    public static RuntimeException unavailable(String backendName, Throwable cause) {
        String message = "backend '" + backendName + "' cannot run here: " + cause;
        if (isRequired(backendName)) {
            throw new AssertionError(message + " (it is listed in -D" + PROPERTY + "=" + String.join(",", names()) + ")", cause);
        }
        return Assumptions.abort(message + " (not listed in -D" + PROPERTY + ", so skipped)");
    }
}
