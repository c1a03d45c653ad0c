package dev.oneloop.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BroadcastStatsTest {

    @Test
    void reportsPercentilesOfTheRecentBroadcasts() {
        BroadcastStats stats = new BroadcastStats();
        assertThat(stats.percentileNanos(50)).isZero();
        for (int i = 1; i <= 100; i++) {
            stats.record(10, i * 1_000L, i * 100L, 0);
        }
        assertThat(stats.count()).isEqualTo(100);
        assertThat(stats.percentileNanos(50)).isEqualTo(50_000);
        assertThat(stats.maxNanos()).isEqualTo(100_000);
        assertThat(stats.percentileNanos(50, 10)).as("of the last 10 (91..100 us)").isEqualTo(95_000);
        assertThat(stats.lastNanos()).isEqualTo(100_000);
        assertThat(stats.lastCpuNanos()).isEqualTo(10_000);
        assertThat(stats.lastConnections()).isEqualTo(10);
    }

    @Test
    void keepsOnlyTheLastWindowAndSumsAllocation() {
        BroadcastStats stats = new BroadcastStats();
        for (int i = 0; i < BroadcastStats.WINDOW; i++) {
            stats.record(1, 1_000_000, 0, 0);
        }
        for (int i = 0; i < BroadcastStats.WINDOW; i++) {
            stats.record(1, 1_000, 0, 8);
        }
        assertThat(stats.maxNanos()).isEqualTo(1_000);
        assertThat(stats.allocatedBytes()).isEqualTo(8L * BroadcastStats.WINDOW);
    }
}
