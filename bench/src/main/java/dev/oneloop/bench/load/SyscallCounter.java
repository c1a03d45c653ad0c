package dev.oneloop.bench.load;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Counts the system calls of every thread of a server process over a window.
 *
 * <p>{@code perf stat} on the syscall tracepoints is preferred: it is attached (disabled) while the
 * load warms up and switched on and off through its control FIFO, so the window is exact and its
 * cost per syscall is small. {@code strace -c -f} is the fallback where perf cannot count; it is
 * attached for the window only, its ptrace stops slow the server severely, and its window edges
 * are approximate.
 */
public abstract sealed class SyscallCounter implements AutoCloseable {

    /** Calls counted one by one; the rest is reported as "other". */
    static final List<String> BREAKDOWN = List.of("io_uring_enter", "epoll_wait", "epoll_pwait", "epoll_pwait2", "epoll_ctl",
            "read", "write", "readv", "writev", "recvfrom", "sendto", "recvmsg", "sendmsg", "futex");

    /** Counts: "total", then each call seen. */
    public record Counts(String method, long total, Map<String, Long> byCall) {
    }

    /** How to count on this machine, or none. */
    public enum Method {
        PERF, STRACE, NONE;

        public static Method detect() {
            if (works(List.of("perf", "stat", "-x,", "-e", "raw_syscalls:sys_enter", "--", "true"))) {
                return PERF;
            }
            if (works(List.of("strace", "-c", "-o", "/dev/null", "true"))) {
                return STRACE;
            }
            return NONE;
        }

        private static boolean works(List<String> command) {
            try {
                Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /** Prepares a counter on {@code pid}; it counts only between {@link #enable()} and {@link #disable()}. */
    public static SyscallCounter attach(Method method, long pid) throws IOException {
        return switch (method) {
            case PERF -> new Perf(pid);
            case STRACE -> new Strace(pid);
            case NONE -> throw new IllegalArgumentException("no syscall counter on this machine");
        };
    }

    public abstract void enable() throws IOException;

    public abstract void disable() throws IOException;

    /** Stops the counter and returns what it counted. */
    public abstract Counts finish() throws IOException;

    @Override
    public abstract void close();

    final Path dir;
    Process process;

    SyscallCounter() throws IOException {
        dir = Files.createTempDirectory("oneloop-syscalls");
    }

    void interruptAndWait() throws IOException {
        // Both tools print their summary on SIGINT only (SIGTERM ends perf without output).
        try {
            new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start().waitFor();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("the syscall counter did not stop");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    void deleteDir() {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // A temporary directory left behind is harmless.
        }
    }

    static final class Perf extends SyscallCounter {
        private final FileChannel control;
        private final FileChannel ack;
        private final Path out;

        Perf(long pid) throws IOException {
            Path ctl = dir.resolve("ctl");
            Path ackPath = dir.resolve("ack");
            out = dir.resolve("perf.csv");
            mkfifo(ctl);
            mkfifo(ackPath);
            StringBuilder events = new StringBuilder("raw_syscalls:sys_enter");
            for (String call : BREAKDOWN) {
                events.append(",syscalls:sys_enter_").append(call);
            }
            process = new ProcessBuilder("perf", "stat", "-x,", "--no-big-num", "-e", events.toString(), "-p", Long.toString(pid),
                    "-D", "-1", "--control", "fifo:" + ctl + "," + ackPath, "-o", out.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("perf.log").toFile()).start();
            // Read-write opens of a FIFO never block, whichever side perf opens first.
            control = FileChannel.open(ctl, StandardOpenOption.READ, StandardOpenOption.WRITE);
            ack = FileChannel.open(ackPath, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }

        @Override
        public void enable() throws IOException {
            command("enable");
        }

        @Override
        public void disable() throws IOException {
            command("disable");
        }

        private void command(String command) throws IOException {
            control.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer reply = ByteBuffer.allocate(16);
            // perf answers "ack\n" once the counters are switched. The read blocks, and would block
            // forever if perf had died, so it runs on a thread that is interrupted after a deadline.
            Thread reader = Thread.ofPlatform().daemon().name("perf-ack").start(() -> {
                try {
                    while (reply.position() < 4) {
                        ack.read(reply);
                    }
                } catch (IOException e) {
                    // Interrupted at the deadline, or perf went away: the check below reports it.
                }
            });
            try {
                reader.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (reader.isAlive()) {
                reader.interrupt();
            }
            if (reader.isAlive() || reply.position() < 4) {
                throw new IOException("perf did not acknowledge '" + command + "': " + log());
            }
        }

        @Override
        public Counts finish() throws IOException {
            interruptAndWait();
            long total = 0;
            Map<String, Long> byCall = new LinkedHashMap<>();
            for (String line : Files.readAllLines(out)) {
                String[] f = line.split(",");
                if (f.length < 3 || line.startsWith("#")) {
                    continue;
                }
                long value = f[0].startsWith("<") ? 0 : Long.parseLong(f[0].trim());
                String event = f[2];
                if (event.equals("raw_syscalls:sys_enter")) {
                    total = value;
                } else if (event.startsWith("syscalls:sys_enter_") && value > 0) {
                    byCall.put(event.substring("syscalls:sys_enter_".length()), value);
                }
            }
            return new Counts("perf stat", total, byCall);
        }

        private String log() {
            try {
                return Files.readString(dir.resolve("perf.log")).trim();
            } catch (IOException e) {
                return "(no log)";
            }
        }

        @Override
        public void close() {
            process.destroyForcibly();
            try {
                control.close();
                ack.close();
            } catch (IOException e) {
                // Closing our ends of the FIFOs only.
            }
            deleteDir();
        }

        private static void mkfifo(Path p) throws IOException {
            try {
                Process mk = new ProcessBuilder("mkfifo", p.toString()).redirectErrorStream(true).start();
                if (mk.waitFor() != 0) {
                    throw new IOException("mkfifo " + p + ": " + new String(mk.getInputStream().readAllBytes()).trim());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    static final class Strace extends SyscallCounter {
        private final long pid;
        private final Path out;

        Strace(long pid) throws IOException {
            this.pid = pid;
            this.out = dir.resolve("strace.txt");
        }

        @Override
        public void enable() throws IOException {
            process = new ProcessBuilder("strace", "-c", "-f", "-q", "-o", out.toString(), "-p", Long.toString(pid))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try {
                // strace reports no moment of attachment; give it time to stop every thread once.
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void disable() throws IOException {
            interruptAndWait();
        }

        @Override
        public Counts finish() throws IOException {
            long total = 0;
            Map<String, Long> byCall = new LinkedHashMap<>();
            for (String line : Files.readAllLines(out)) {
                String[] t = line.trim().split("\\s+");
                if (t.length < 4 || !Character.isDigit(t[0].charAt(0))) {
                    continue;
                }
                String name = t[t.length - 1];
                if (name.equals("total")) {
                    total = Long.parseLong(t[2]);
                } else {
                    byCall.put(name, Long.parseLong(t[3]));
                }
            }
            return new Counts("strace -c -f (slows the server)", total, byCall);
        }

        @Override
        public void close() {
            if (process != null) {
                process.destroyForcibly();
            }
            deleteDir();
        }
    }
}
