package dev.oneloop.bench.report;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Compiles the C floor servers with gcc at run time, from the sources inside the bench jar, so the
 * floor is always built for this machine and kernel headers. A failed build is reported and the
 * server is skipped, never faked.
 */
final class CFloors {

    private static final List<String> SOURCES = List.of("echo_common.h", "epoll_echo.c", "iouring_echo.c");

    /** Binary name → gcc arguments after the source. */
    private static final Map<String, List<String>> BINARIES = Map.of(
            "epoll-echo", List.of("epoll_echo.c"),
            "iouring-echo", List.of("iouring_echo.c", "-luring"));

    private CFloors() {
    }

    /** Builds into {@code dir}; returns binary name → why it could not be built (empty when all were). */
    static Map<String, String> build(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String source : SOURCES) {
            try (InputStream in = CFloors.class.getResourceAsStream("/dev/oneloop/bench/c/" + source)) {
                if (in == null) {
                    throw new IOException("C source " + source + " is missing from the bench jar");
                }
                Files.copy(in, dir.resolve(source), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Map<String, String> failures = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> b : BINARIES.entrySet()) {
            List<String> cmd = new ArrayList<>(List.of("gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", b.getKey()));
            cmd.addAll(b.getValue());
            String why = run(cmd, dir);
            if (why != null) {
                Files.deleteIfExists(dir.resolve(b.getKey()));
                failures.put(b.getKey(), why);
            }
        }
        return failures;
    }

    static String gccVersion() {
        try {
            Process p = new ProcessBuilder("gcc", "--version").redirectErrorStream(true).start();
            String first = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().findFirst().orElse("?");
            p.waitFor(10, TimeUnit.SECONDS);
            return first;
        } catch (IOException e) {
            return "gcc not found";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }

    /** Runs {@code cmd} in {@code dir}; null on success, else the reason. */
    private static String run(List<String> cmd, Path dir) {
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return String.join(" ", cmd) + ": timed out";
            }
            if (p.exitValue() != 0) {
                String hint = out.contains("liburing.h") ? " (install liburing-dev: apt-get install -y liburing-dev)" : "";
                return String.join(" ", cmd) + " failed" + hint + ": " + out.lines().limit(5).reduce((a, c) -> a + " | " + c).orElse("");
            }
            return null;
        } catch (IOException e) {
            return "gcc could not run (" + e.getMessage() + "); install gcc to include the C floors";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
