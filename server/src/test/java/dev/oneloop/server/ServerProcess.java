package dev.oneloop.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The echo server's {@link Main} in a child JVM, started with this test run's class path. */
final class ServerProcess implements AutoCloseable {

    private static final long CLOCK_TICKS_PER_SECOND = clockTicksPerSecond();

    final Process process;
    final Path stderr;
    final BufferedReader stdout;
    InetSocketAddress address;
    String listeningLine;

    private ServerProcess(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
        this.stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** The command that runs {@link Main} with {@code -Dbackend=backend} (none if {@code null}). */
    static List<String> command(String backend, List<String> args) {
        return command(backend == null ? List.of() : List.of("-Dbackend=" + backend), args);
    }

    /** The command that runs {@link Main} with extra JVM options. */
    static List<String> command(List<String> jvmOptions, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-Xmx256m");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Main.class.getName());
        command.addAll(args);
        return command;
    }

    /** Starts the server and waits for its "listening on" line. {@code maxOpenFiles} > 0 runs it under {@code ulimit -n}. */
    static ServerProcess start(String backend, int maxOpenFiles, Path workDir, String... args) throws IOException {
        return start(backend, List.of(), maxOpenFiles, workDir, args);
    }

    /** {@link #start(String, int, Path, String...)} with extra JVM options. */
    static ServerProcess start(String backend, List<String> jvmOptions, int maxOpenFiles, Path workDir, String... args)
            throws IOException {
        List<String> all = new ArrayList<>(List.of("--port", "0"));
        all.addAll(List.of(args));
        List<String> options = new ArrayList<>(List.of("-Dbackend=" + backend));
        options.addAll(jvmOptions);
        List<String> command = command(options, all);
        if (maxOpenFiles > 0) {
            List<String> limited = new ArrayList<>(List.of("sh", "-c", "ulimit -n " + maxOpenFiles + " && exec \"$0\" \"$@\""));
            limited.addAll(command);
            command = limited;
        }
        Path stderr = Files.createTempFile(workDir, "server-", ".stderr");
        Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        ServerProcess server = new ServerProcess(process, stderr);
        String line = server.stdout.readLine();
        // The JVM may print first, e.g. Flight Recorder's "Started recording" lines.
        for (int skipped = 0; line != null && line.startsWith("[") && skipped < 10; skipped++) {
            line = server.stdout.readLine();
        }
        if (line == null || !line.startsWith("listening on ")) {
            server.close();
            throw new IOException("server did not start; stdout: " + line + "; stderr: " + server.stderrText());
        }
        server.listeningLine = line;
        String hostPort = line.split(" ")[2];
        int colon = hostPort.lastIndexOf(':');
        server.address = new InetSocketAddress(hostPort.substring(0, colon).replace("[", "").replace("]", ""),
                Integer.parseInt(hostPort.substring(colon + 1)));
        return server;
    }

    String stderrText() throws IOException {
        return Files.readString(stderr);
    }

    /** User plus system CPU seconds of the process so far, from /proc/PID/stat. */
    double cpuSeconds() throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / (double) CLOCK_TICKS_PER_SECOND;
    }

    private static long clockTicksPerSecond() {
        try {
            Process getconf = new ProcessBuilder("getconf", "CLK_TCK").start();
            String ticks = new String(getconf.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            getconf.waitFor();
            return Long.parseLong(ticks);
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("cannot read the kernel's clock tick (getconf CLK_TCK)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill -" + name + " failed");
        }
    }

    /** Waits for the exit code, at most {@code seconds}; {@code null} if still running. */
    Integer waitFor(long seconds) throws InterruptedException {
        return process.waitFor(seconds, TimeUnit.SECONDS) ? process.exitValue() : null;
    }

    @Override
    public void close() throws IOException {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        stdout.close();
    }
}
