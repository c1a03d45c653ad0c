package dev.oneloop.backend.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oneloop.backend.BackendException;
import dev.oneloop.backend.ErrorKind;

/** Assertions on the typed errors every backend reports. */
public final class TypedErrors {

    private TypedErrors() {
    }

    /** {@code error} is a {@link BackendException} of {@code kind} and {@code errno}, worded exactly {@code message}. */
    public static void assertTyped(Throwable error, ErrorKind kind, int errno, String message) {
        assertThat(error).isInstanceOfSatisfying(BackendException.class, e -> {
            assertThat(e.kind()).as("kind").isEqualTo(kind);
            assertThat(e.errno()).as("errno").isEqualTo(errno);
            assertThat(e).hasMessage(message);
        });
    }
}
