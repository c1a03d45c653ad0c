package dev.oneloop.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StatusLineTest {

    private final StatusLine line = new StatusLine();

    @ParameterizedTest
    @ValueSource(ints = {0, 7, 10, 99, 100, 12_345, Integer.MAX_VALUE})
    void spellsTheCountBetweenPrefixAndSuffix(int count) {
        line.format(1_000_000); // a longer number first: nothing of it may remain
        line.format(count);

        assertThat(new String(line.bytes(), 0, line.length(), StandardCharsets.US_ASCII))
                .isEqualTo("Server status: " + count + " active connections\n");
    }
}
