package dev.oneloop.backend;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses and opens a {@link Backend}, like the JDK's {@code SelectorProvider.provider()}: the
 * system property {@value #PROPERTY} names one, {@link ServiceLoader} finds the candidates.
 *
 * <p>{@code auto} (the default) tries {@code iouring}, then {@code epoll}, then {@code nio}, then
 * any other provider by name, and logs which one it chose and why each earlier one was skipped.
 * An explicit name that is unknown fails listing the names found; one that is known but cannot
 * run fails with its cause.
 */
public final class Backends {

    /** System property that selects a backend by name, or {@value #AUTO}. */
    public static final String PROPERTY = "backend";
    public static final String AUTO = "auto";
    /** Preference of {@code auto}; backends not listed come after, by name. */
    public static final List<String> AUTO_ORDER = List.of("iouring", "epoll", "nio");

    private static final Logger LOG = LoggerFactory.getLogger(Backends.class);

    private Backends() {
    }

    /** The backend named by {@code -Dbackend}, or {@code auto}. */
    public static String requestedName() {
        return System.getProperty(PROPERTY, AUTO).trim().toLowerCase(Locale.ROOT);
    }

    /** Every provider {@link ServiceLoader} finds, in {@code auto}'s order of preference. */
    public static List<BackendProvider> providers() {
        List<BackendProvider> found = new ArrayList<>();
        ServiceLoader<BackendProvider> loader = ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader());
        for (ServiceLoader.Provider<BackendProvider> candidate : (Iterable<ServiceLoader.Provider<BackendProvider>>) loader.stream()::iterator) {
            try {
                found.add(candidate.get());
            } catch (ServiceConfigurationError | LinkageError e) {
                // Like SLF4J's safelyInstantiate: one broken provider must not hide the others.
                LOG.atWarn().addKeyValue("provider", candidate.type().getName()).setCause(e)
                        .log("backend provider failed to load");
            }
        }
        found.sort(Comparator.comparingInt((BackendProvider p) -> {
            int rank = AUTO_ORDER.indexOf(p.name());
            return rank < 0 ? AUTO_ORDER.size() : rank;
        }).thenComparing(BackendProvider::name));
        return found;
    }

    /** Opens the backend named by {@code -Dbackend} (default {@code auto}). */
    public static Backend open(BackendConfig config) throws BackendSelectionException {
        return open(requestedName(), config);
    }

    /** Opens the backend called {@code name}, or the first that works if {@code name} is {@code auto}. */
    public static Backend open(String name, BackendConfig config) throws BackendSelectionException {
        List<BackendProvider> providers = providers();
        if (providers.isEmpty()) {
            throw new BackendSelectionException("no backend found on the class path or module path", null);
        }
        if (AUTO.equals(name)) {
            return openFirstAvailable(providers, config);
        }
        BackendProvider provider = providers.stream().filter(p -> p.name().equals(name)).findFirst()
                .orElseThrow(() -> new BackendSelectionException(
                        "unknown backend '" + name + "'; found: " + String.join(", ", names(providers)) + ", or " + AUTO, null));
        if (!provider.isAvailable()) {
            throw unavailable(provider.name(), provider.unavailabilityCause());
        }
        try {
            Backend backend = provider.open(config);
            LOG.atInfo().addKeyValue("backend", provider.name()).addKeyValue("reason", "requested with -D" + PROPERTY)
                    .log("backend selected");
            return backend;
        } catch (IOException | RuntimeException | LinkageError e) {
            throw unavailable(provider.name(), e);
        }
    }

    private static Backend openFirstAvailable(List<BackendProvider> providers, BackendConfig config) throws BackendSelectionException {
        List<String> skipped = new ArrayList<>();
        for (BackendProvider provider : providers) {
            Throwable cause = provider.isAvailable() ? null : provider.unavailabilityCause();
            if (cause == null) {
                try {
                    Backend backend = provider.open(config);
                    LOG.atInfo().addKeyValue("backend", provider.name())
                            .addKeyValue("reason", skipped.isEmpty() ? "first choice of auto" : "auto fallback")
                            .addKeyValue("skipped", skipped.isEmpty() ? "none" : String.join("; ", skipped))
                            .log("backend selected");
                    return backend;
                } catch (IOException | RuntimeException | LinkageError e) {
                    cause = e;
                }
            }
            String why = describe(cause);
            skipped.add(provider.name() + ": " + why);
            LOG.atInfo().addKeyValue("backend", provider.name()).addKeyValue("cause", why).log("backend skipped");
        }
        throw new BackendSelectionException("no backend can run here: " + String.join("; ", skipped), null);
    }

    private static BackendSelectionException unavailable(String name, Throwable cause) {
        return new BackendSelectionException("backend '" + name + "' is not available: " + describe(cause), cause);
    }

    /** One line naming a cause and its root, e.g. {@code UnsatisfiedLinkError: ... (caused by ...)}. */
    static String describe(Throwable cause) {
        if (cause == null) {
            return "unknown cause";
        }
        StringBuilder text = new StringBuilder(oneLine(cause));
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != cause) {
            text.append(" (caused by ").append(oneLine(root)).append(')');
        }
        return text.toString();
    }

    private static String oneLine(Throwable t) {
        String message = t.getMessage();
        return t.getClass().getSimpleName() + (message == null ? "" : ": " + message.lines().findFirst().orElse(""));
    }

    private static List<String> names(List<BackendProvider> providers) {
        return providers.stream().map(BackendProvider::name).toList();
    }
}
