package dev.oneloop.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    @ParameterizedTest
    @CsvSource({
        "250ms, PT0.25S",
        "5s, PT5S",
        "1m, PT1M",
        "2h, PT2H",
        "1500us, PT0.0015S",
        "7ns, PT0.000000007S",
        "10MS, PT0.01S",
        "' 3s ', PT3S",
        "0s, PT0S",
        "0, PT0S"})
    void readsAWholeNumberWithAUnit(String text, String iso) {
        assertThat(Durations.parse(text)).isEqualTo(Duration.parse(iso));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "5", "ms", "-5s", "5 s", "1.5s", "5x", "5sec", "s5", "99999999999999999999s", "9999999999999999h"})
    void rejectsAnythingElseWithAMessageThatShowsTheForm(String text) {
        assertThatThrownBy(() -> Durations.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"250ms", "5s", "1m", "2h", "1500us", "7ns", "61s", "0s"})
    void formatsWhatItReadsBack(String text) {
        assertThat(Durations.format(Durations.parse(text))).isEqualTo(text);
    }
}
