package dev.oneloop.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizesTest {

    @ParameterizedTest
    @CsvSource({
        "65536, 65536",
        "100b, 100",
        "64k, 65536",
        "64KiB, 65536",
        "1m, 1048576",
        "4MiB, 4194304",
        "1g, 1073741824",
        "1GiB, 1073741824"})
    void readsBytesWithBinaryUnits(String text, int bytes) {
        assertThat(ByteSizes.parse(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "k", "-1", "1.5m", "1kb", "2g", "3000000000", "1t"})
    void rejectsUnknownUnitsAndValuesBeyondAnInt(String text) {
        assertThatThrownBy(() -> ByteSizes.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"16KiB", "1MiB", "1GiB", "1000", "1536KiB"})
    void formatsWhatItReadsBack(String text) {
        assertThat(ByteSizes.format(ByteSizes.parse(text))).isEqualTo(text);
    }
}
