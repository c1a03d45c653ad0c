package dev.oneloop.backend.iouring;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.BackendSelectionException;
import dev.oneloop.backend.Backends;

/** Child-JVM side of {@link IoUringFallbackTest}: opens each named backend and prints what happened. */
public final class BackendSelectionProbe {

    private BackendSelectionProbe() {
    }

    public static void main(String[] names) {
        for (String name : names) {
            try (Backend backend = Backends.open(name, new BackendConfig(16, 1024))) {
                System.out.println("OPENED " + name + " -> " + backend.name());
            } catch (BackendSelectionException e) {
                System.out.println("FAILED " + name + " -> " + e.getMessage());
            }
        }
    }
}
