package dev.oneloop.server;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Recording;
import jdk.jfr.RecordingState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * How a server's command line stops on SIGTERM and SIGINT: the signal only asks the server to
 * stop, and the thread that runs the server returns from {@code main} once it has shut down
 * gracefully, so the JVM's shutdown starts only then and its hooks see everything the shutdown
 * did (Flight Recorder's hook, writing a recording started with -XX:StartFlightRecording, raced
 * the server's closes when the signal started the JVM's shutdown: the recording missed them in
 * about one run in four). A server not stopped within its shutdown timeout plus 5 s is halted
 * with exit code 1. Used by the echo server's {@link Main} and the RESP example's.
 *
 * <pre>{@code
 * SignalStop signals = SignalStop.install("my-server", shutdownTimeout, server::activeConnections, server::requestStop);
 * int exitCode = 0;
 * try {
 *     server.run(); // returns once a signal has stopped it
 * } catch (IOException | RuntimeException e) {
 *     exitCode = 1;
 * } finally {
 *     signals.stopped(exitCode);
 * }
 * return exitCode;
 * }</pre>
 */
public final class SignalStop {

    private static final Logger LOG = LoggerFactory.getLogger(SignalStop.class);

    private final String name;
    private final IntSupplier activeConnections;
    private final Runnable requestStop;
    /** How long a signalled server may take to stop: its shutdown timeout plus 5 s. */
    private final long stopBoundMillis;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile int exitCode = CommandLine.ExitCode.OK;

    private SignalStop(String name, Duration shutdownTimeout, IntSupplier activeConnections, Runnable requestStop) {
        this.name = Objects.requireNonNull(name, "name");
        this.activeConnections = Objects.requireNonNull(activeConnections, "activeConnections");
        this.requestStop = Objects.requireNonNull(requestStop, "requestStop");
        this.stopBoundMillis = shutdownTimeout.toMillis() + 5_000;
    }

    /**
     * From now on SIGTERM and SIGINT call {@code requestStop} (from a signal thread; it must be
     * safe to call from any thread); the caller's server then shuts down and the caller reports
     * that with {@link #stopped}. {@code name} names the threads, e.g. {@code echo-server};
     * {@code activeConnections} is logged with the request.
     */
    public static SignalStop install(String name, Duration shutdownTimeout, IntSupplier activeConnections, Runnable requestStop) {
        SignalStop stop = new SignalStop(name, shutdownTimeout, activeConnections, requestStop);
        if (!stop.handleSignals()) {
            Runtime.getRuntime().addShutdownHook(new Thread(stop::stopOnSignal, name + "-shutdown"));
        }
        return stop;
    }

    /**
     * The server has stopped (or failed) and {@code main} is about to exit with {@code exitCode}.
     * Call once, from the thread that ran the server, whether or not a signal stopped it.
     */
    public void stopped(int exitCode) {
        this.exitCode = exitCode;
        stopped.countDown();
    }

    /**
     * Through sun.misc.Signal by reflection: javac's warning for that internal API cannot be
     * suppressed, and -Werror would fail the build. Returns false where it is missing.
     */
    private boolean handleSignals() {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
            Object handler = java.lang.reflect.Proxy.newProxyInstance(handlerType.getClassLoader(), new Class<?>[] {handlerType},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "handle" -> {
                            LOG.atInfo().addKeyValue("signal", args[0]).addKeyValue("connections", activeConnections.getAsInt())
                                    .log("termination requested");
                            requestStop.run();
                            haltIfStuck();
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        default -> name + " signal handler";
                    });
            var handle = signal.getMethod("handle", signal, handlerType);
            for (String signalName : new String[] {"TERM", "INT"}) {
                handle.invoke(null, signal.getConstructor(String.class).newInstance(signalName), handler);
            }
            return true;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.atDebug().setCause(e).log("no sun.misc.Signal: stopping on SIGTERM/SIGINT from a shutdown hook");
            return false;
        }
    }

    /**
     * A server that has not stopped by {@link #stopBoundMillis} after the signal (a stuck loop) is
     * halted, so a signal always ends the process; one that stopped in time is left to exit on its
     * own, however long the JVM's shutdown (writing a recording) then takes. A daemon thread.
     */
    private void haltIfStuck() {
        Thread.ofPlatform().daemon().name(name + "-shutdown-watchdog").start(() -> {
            try {
                if (stopped.await(stopBoundMillis, TimeUnit.MILLISECONDS)) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
            LOG.atError().addKeyValue("millis", stopBoundMillis).log("server did not stop in time after the signal: halting");
            Runtime.getRuntime().halt(CommandLine.ExitCode.SOFTWARE);
        });
    }

    /**
     * Where sun.misc.Signal is missing, runs in a shutdown hook, which is how SIGTERM and SIGINT
     * reach a Java program otherwise. The JVM would report a signal death (143) after the hooks, so
     * once the server has stopped cleanly the hook ends the process with the server's exit code.
     */
    private void stopOnSignal() {
        if (stopped.getCount() == 0) {
            return; // the server ended by itself and main is exiting with its own code
        }
        LOG.atInfo().addKeyValue("connections", activeConnections.getAsInt()).log("termination requested (SIGTERM/SIGINT)");
        requestStop.run();
        boolean done;
        try {
            done = stopped.await(stopBoundMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            done = false;
        }
        System.out.flush();
        finishRecordings();
        Runtime.getRuntime().halt(done ? exitCode : CommandLine.ExitCode.SOFTWARE);
    }

    /**
     * halt() skips the JVM's other shutdown hooks, Flight Recorder's among them: a recording started
     * with -XX:StartFlightRecording:filename=... is written here instead, as JFR would at exit. If
     * Flight Recorder's own hook is already writing it, stop() waits for it and then reports the
     * recording stopped.
     */
    private static void finishRecordings() {
        // A recording started with the JVM flag does not initialize the FlightRecorder API; asking
        // for it then would start Flight Recorder just to find nothing.
        boolean startedByFlag = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .anyMatch(argument -> argument.startsWith("-XX:StartFlightRecording"));
        if (!startedByFlag && !FlightRecorder.isInitialized()) {
            return;
        }
        FlightRecorder recorder = FlightRecorder.getFlightRecorder();
        for (Recording recording : recorder.getRecordings()) {
            if (recording.getState() == RecordingState.RUNNING && recording.getDestination() != null) {
                try {
                    recording.stop();
                } catch (IllegalStateException e) {
                    // Flight Recorder's own hook stopped it first.
                }
            }
        }
        // Flight Recorder's hook may be writing a recording it stopped first; it closes every
        // recording when done. Wait for that, boundedly, before halt() cuts it short.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() - deadline < 0
                && recorder.getRecordings().stream().anyMatch(r -> r.getDestination() != null && r.getState() != RecordingState.CLOSED)) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
