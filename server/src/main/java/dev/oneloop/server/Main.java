package dev.oneloop.server;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendSelectionException;
import dev.oneloop.backend.Backends;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The echo server's command line. Exit codes: 0 after a clean stop (also on SIGTERM/SIGINT),
 * 1 when the server could not listen or the loop failed, 2 for bad flags or a backend that is
 * unknown or cannot run.
 */
@Command(name = "echo-server", sortOptions = false, usageHelpAutoWidth = true,
        defaultValueProvider = Main.Defaults.class,
        description = {
            "A single-threaded echo server: echoes every byte back to the connection that sent it and, every "
                    + "--status-interval, sends every connection \"Server status: N active connections\".",
            "When ready it prints one line to stdout, listening on HOST:PORT backend=NAME; logs go to stderr.",
            ""},
        footer = {
            "",
            "Sizes take k/KiB, m/MiB, g/GiB (powers of 1024); durations take ns, us, ms, s, m, h (e.g. 250ms, 5s, 1m).",
            "",
            "The I/O backend is chosen with a system property, -Dbackend=nio|epoll|iouring|iouring-netty|auto (default auto: "
                    + "iouring, then epoll, then nio), e.g.: java -Dbackend=nio -jar echo-server.jar --port 9000",
            "",
            "Observability: the counters are a JMX MBean, dev.oneloop:type=EchoServer,backend=NAME,port=PORT (jconsole, "
                    + "jcmd). Flight Recorder events (category oneloop: LoopTurn, ConnectionOpened, ConnectionClosed, "
                    + "StatusBroadcast, AcceptPaused, AcceptResumed) are recorded while a recording runs, e.g. "
                    + "java -XX:StartFlightRecording:filename=oneloop.jfr -jar echo-server.jar, then "
                    + "jfr print --events 'oneloop.*' oneloop.jfr.",
            "",
            "SIGTERM or SIGINT stops accepting and reading, flushes pending output for at most --shutdown-timeout, "
                    + "closes every connection and exits with code 0.",
            "",
            "Exit codes: 0 clean stop; 1 cannot listen, or the loop failed; 2 bad flags, or the backend is unknown "
                    + "or unavailable."})
public final class Main implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(Main.class);

    @Spec
    private CommandSpec spec;

    @Option(names = "--bind", paramLabel = "ADDRESS", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    private String bindAddress;

    @Option(names = "--port", paramLabel = "PORT", description = "TCP port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    private int port;

    @Option(names = "--status-interval", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Period of the status line sent to every connection (default: ${DEFAULT-VALUE}).")
    private Duration statusInterval;

    @Option(names = "--high-watermark", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Bytes queued for one connection above which the server stops reading from it (default: ${DEFAULT-VALUE}).")
    private int highWatermark;

    @Option(names = "--low-watermark", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Queued bytes at or below which reading from a paused connection resumes (default: ${DEFAULT-VALUE}).")
    private int lowWatermark;

    @Option(names = "--max-backlog", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Queued bytes beyond which a connection is closed: a client that does not read (default: ${DEFAULT-VALUE}).")
    private int maxBacklog;

    @Option(names = "--shutdown-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "On SIGTERM/SIGINT, how long pending output may still be flushed (default: ${DEFAULT-VALUE}).")
    private Duration shutdownTimeout;

    @Option(names = "--max-connections", paramLabel = "N",
            description = "Connections open at once; more are refused (default: ${DEFAULT-VALUE}).")
    private int maxConnections;

    @Option(names = "--read-buffer", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Bytes read per receive (default: ${DEFAULT-VALUE}).")
    private int readBufferSize;

    @Option(names = "--read-buffers", paramLabel = "N",
            description = "Receive buffers of --read-buffer bytes shared by all connections on io_uring; 0 derives it "
                    + "from --read-buffer (default: ${DEFAULT-VALUE}).")
    private int readBufferCount;

    @Option(names = "--chunk-size", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Size of the pooled direct buffers outbound data is queued in (default: ${DEFAULT-VALUE}).")
    private int chunkSize;

    @Option(names = "--accept-backoff", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Pause before accepting again after an accept error such as EMFILE (default: ${DEFAULT-VALUE}).")
    private Duration acceptBackoff;

    @Option(names = "--listen-backlog", paramLabel = "N",
            description = "Queue length for connections not yet accepted (default: ${DEFAULT-VALUE}).")
    private int listenBacklog;

    @Option(names = "--idle-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Close and log a connection that has sent nothing for this long; 0 turns it off, else at least 10ms "
                    + "(default: ${DEFAULT-VALUE}).")
    private Duration idleTimeout;

    @Option(names = "--turn-event-threshold", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "While a Flight Recorder recording runs, record a oneloop.LoopTurn event for each loop turn busy "
                    + "this long or longer; 0ms records every turn (default: ${DEFAULT-VALUE}).")
    private Duration turnEventThreshold;

    @Option(names = "--jmx", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Register the server's counters as a JMX MBean; --no-jmx does not (default: on).")
    private boolean jmx;

    @Option(names = "--log-level", paramLabel = "LEVEL",
            description = "Level of the server's logs on stderr: ERROR, WARN, INFO, DEBUG or TRACE (default: ${DEFAULT-VALUE}). "
                    + "Nothing is logged per message at INFO; DEBUG logs every connection. Libraries stay at INFO.")
    private Level logLevel;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, with one-line errors and exit code 2 for bad flags. Package-private for testing. */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setParameterExceptionHandler((error, args) -> {
            PrintWriter err = error.getCommandLine().getErr();
            String message = error.getMessage() == null ? error.toString() : error.getMessage().lines().findFirst().orElse("");
            err.println("echo-server: " + message + " (try --help)");
            err.flush();
            return CommandLine.ExitCode.USAGE;
        });
        return cli;
    }

    @Override
    public Integer call() {
        applyLogLevel(logLevel);
        ServerConfig config;
        try {
            config = new ServerConfig(bindAddress, port, statusInterval, highWatermark, lowWatermark, maxBacklog,
                    shutdownTimeout, maxConnections, readBufferSize, chunkSize, acceptBackoff, listenBacklog, readBufferCount,
                    idleTimeout);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        Observability observability;
        try {
            observability = new Observability(turnEventThreshold, jmx);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        PrintWriter err = spec.commandLine().getErr();
        Backend backend;
        try {
            backend = Backends.open(config.backendConfig());
        } catch (BackendSelectionException e) {
            err.println("echo-server: " + e.getMessage());
            err.flush();
            return CommandLine.ExitCode.USAGE;
        }
        SignalStop signals = null;
        int exitCode = CommandLine.ExitCode.OK;
        try (backend) {
            EchoServer server = new EchoServer(backend, config, observability, System::nanoTime);
            InetSocketAddress address;
            try {
                address = server.bind();
            } catch (IOException e) {
                err.println("echo-server: cannot listen on " + config.bindAddress() + ":" + config.port() + ": " + e.getMessage());
                err.flush();
                return CommandLine.ExitCode.SOFTWARE;
            }
            signals = SignalStop.install("echo-server", config.shutdownTimeout(), server::activeConnections, server::requestStop);
            System.out.println("listening on " + EchoServer.hostAndPort(address) + " backend=" + backend.name());
            System.out.flush();
            server.run();
        } catch (IOException | RuntimeException e) {
            LOG.atError().setCause(e).log("server loop failed");
            exitCode = CommandLine.ExitCode.SOFTWARE;
        } finally {
            if (signals != null) {
                signals.stopped(exitCode);
            }
        }
        return exitCode;
    }

    /**
     * Sets oneloop's loggers to {@code level}. Other libraries (Netty at DEBUG is very chatty) stay
     * at INFO unless {@code level} is quieter than that.
     */
    private static void applyLogLevel(Level level) {
        org.slf4j.Logger oneloop = LoggerFactory.getLogger("dev.oneloop");
        org.slf4j.Logger root = LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (oneloop instanceof ch.qos.logback.classic.Logger ours && root instanceof ch.qos.logback.classic.Logger everything) {
            ch.qos.logback.classic.Level chosen = ch.qos.logback.classic.Level.toLevel(level.name());
            ours.setLevel(chosen);
            everything.setLevel(chosen.isGreaterOrEqual(ch.qos.logback.classic.Level.INFO) ? chosen : ch.qos.logback.classic.Level.INFO);
        } else {
            LOG.atWarn().addKeyValue("logger", root.getClass().getName()).log("--log-level ignored: the logging backend is not logback");
        }
    }

    /** Defaults come from {@link ServerConfig#DEFAULTS}, so the help and the embedded server agree. */
    static final class Defaults implements CommandLine.IDefaultValueProvider {
        @Override
        public String defaultValue(CommandLine.Model.ArgSpec argSpec) {
            if (!(argSpec instanceof OptionSpec option)) {
                return null;
            }
            ServerConfig d = ServerConfig.DEFAULTS;
            return switch (option.longestName()) {
                case "--bind" -> d.bindAddress();
                case "--port" -> Integer.toString(d.port());
                case "--status-interval" -> Durations.format(d.statusInterval());
                case "--high-watermark" -> ByteSizes.format(d.highWatermark());
                case "--low-watermark" -> ByteSizes.format(d.lowWatermark());
                case "--max-backlog" -> ByteSizes.format(d.maxBacklog());
                case "--shutdown-timeout" -> Durations.format(d.shutdownTimeout());
                case "--max-connections" -> Integer.toString(d.maxConnections());
                case "--read-buffer" -> ByteSizes.format(d.readBufferSize());
                case "--read-buffers" -> Integer.toString(d.readBufferCount());
                case "--chunk-size" -> ByteSizes.format(d.chunkSize());
                case "--accept-backoff" -> Durations.format(d.acceptBackoff());
                case "--listen-backlog" -> Integer.toString(d.listenBacklog());
                case "--idle-timeout" -> Durations.format(d.idleTimeout());
                case "--turn-event-threshold" -> Durations.format(Observability.DEFAULTS.turnEventThreshold());
                case "--log-level" -> Level.INFO.name();
                default -> null;
            };
        }
    }

    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return Durations.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    static final class SizeConverter implements CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            try {
                return ByteSizes.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
