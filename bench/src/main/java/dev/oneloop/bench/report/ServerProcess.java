package dev.oneloop.bench.report;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A server of the comparison running as a child process, pinned to the server CPU. */
final class ServerProcess implements AutoCloseable {

    /**
     * The server exited with code 2 before it listened: by the servers' convention (oneloop's
     * backend selection, the C floors' io_uring_setup), it cannot run on this machine or build.
     */
    static final class UnavailableException extends IOException {
        private static final long serialVersionUID = 1L;

        UnavailableException(String message) {
            super(message);
        }
    }

    private static final Pattern LISTENING = Pattern.compile("listening on \\[?([^\\]\\s]+?)\\]?:(\\d+)(?:\\s.*)?");

    private final Process process;
    private final InetSocketAddress address;
    private final String readyLine;

    private ServerProcess(Process process, InetSocketAddress address, String readyLine) {
        this.process = process;
        this.address = address;
        this.readyLine = readyLine;
    }

    /**
     * Starts {@code command} (under {@code taskset -c cpu} when {@code cpu} is set), logs its output
     * to {@code log} and waits for its {@code listening on HOST:PORT} line.
     */
    static ServerProcess start(List<String> command, String cpu, Path workDir, Path log, long timeoutMillis)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        if (cpu != null) {
            // taskset execs the server, so the child's pid is the server's pid.
            cmd.addAll(List.of("taskset", "-c", cpu));
        }
        cmd.addAll(command);
        Files.createDirectories(log.getParent());
        Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true).start();
        PrintWriter logWriter = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true);
        logWriter.println("$ " + String.join(" ", cmd));
        CompletableFuture<String> ready = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("server-output").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                 logWriter) {
                String line;
                while ((line = r.readLine()) != null) {
                    logWriter.println(line);
                    if (!ready.isDone() && LISTENING.matcher(line.strip()).matches()) {
                        ready.complete(line.strip());
                    }
                }
                int exit = p.waitFor();
                String message = "exited with " + exit + " before printing 'listening on'";
                ready.completeExceptionally(exit == 2 ? new UnavailableException(message) : new IOException(message));
            } catch (IOException | InterruptedException e) {
                ready.completeExceptionally(e);
            }
        });
        try {
            String line = ready.get(timeoutMillis, TimeUnit.MILLISECONDS);
            Matcher m = LISTENING.matcher(line);
            if (!m.matches()) {
                throw new IllegalStateException(line);
            }
            return new ServerProcess(p, new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2))), line);
        } catch (ExecutionException | TimeoutException e) {
            p.destroyForcibly();
            String why = e instanceof TimeoutException ? "no 'listening on' line within " + timeoutMillis + " ms" : e.getCause().getMessage();
            String message = why + ": " + tail(log) + " (log: " + log + ")";
            throw e.getCause() instanceof UnavailableException ? new UnavailableException(message) : new IOException(message);
        }
    }

    InetSocketAddress address() {
        return address;
    }

    long pid() {
        return process.pid();
    }

    String readyLine() {
        return readyLine;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for the process to exit by itself; its exit code, or -1 if it is still running after the timeout. */
    int waitForExit(long timeoutMillis) throws InterruptedException {
        return process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    /** SIGTERM, then SIGKILL if it has not exited within 5 s. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** The last lines of a server's log that are not stack frames: what it said when it failed. */
    static String lastWords(Path log) {
        try {
            List<String> lines = Files.readAllLines(log).stream().skip(1).filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0)))
                    .toList();
            return lines.isEmpty() ? "(no output)" : String.join(" | ", lines.subList(Math.max(0, lines.size() - 2), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static String tail(Path log) {
        try {
            // The first line is the command, already in the report.
            List<String> lines = Files.readAllLines(log).stream().skip(1).toList();
            return lines.isEmpty() ? "(no output)" : String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }
}
