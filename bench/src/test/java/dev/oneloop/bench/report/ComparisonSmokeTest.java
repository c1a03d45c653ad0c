package dev.oneloop.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import picocli.CommandLine;

/**
 * The CI smoke test of the comparison: the quick variant over every server that can run here.
 * It asserts completeness and byte-exact echoes (the command's exit code), never a speed.
 */
class ComparisonSmokeTest {

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void quickComparisonRunsEveryAvailableServerAndVerifiesEveryEcho() throws Exception {
        // Surefire runs in bench/; the server list's paths are relative to the repository root.
        Path root = Path.of("..").toAbsolutePath().normalize();
        Path out = Path.of("target", "smoke").toAbsolutePath();

        int exit = new CommandLine(new Comparison()).execute("--quick", "--root", root.toString(), "--out", out.toString());

        assertThat(exit).as("exit code of the quick comparison (see its output above)").isZero();
        assertThat(out.resolve("smoke.png")).isNotEmptyFile();
        assertThat(Files.readString(out.resolve("smoke.json"))).contains("\"finished\": true").doesNotContain("\"verified\": false");
        assertThat(Files.readString(out.resolve("smoke.md"))).contains("| 50 conn × 1 KiB | c-epoll |");
    }
}
