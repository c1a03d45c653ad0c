package dev.oneloop.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class ReportStatTest {

    @Test
    void medianOfAnOddCountIsTheMiddleValueWithMinAndMax() {
        Report.Stat s = Report.Stat.of(List.of(5.0, 1.0, 3.0));

        assertThat(s.median()).isEqualTo(3.0);
        assertThat(s.min()).isEqualTo(1.0);
        assertThat(s.max()).isEqualTo(5.0);
    }

    @Test
    void medianOfAnEvenCountIsTheMeanOfTheTwoMiddleValues() {
        assertThat(Report.Stat.of(List.of(4.0, 1.0, 2.0, 10.0)).median()).isEqualTo(3.0);
    }

    @Test
    void missingFiguresAreLeftOutNotCountedAsZero() {
        Report.Stat s = Report.Stat.of(List.of(Double.NaN, 2.0));

        assertThat(s.median()).isEqualTo(2.0);
        assertThat(s.n()).isEqualTo(1);
        assertThat(Report.Stat.of(List.of(Double.NaN)).median()).isNaN();
    }
}
