package dev.oneloop.examples.resp;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendSelectionException;
import dev.oneloop.backend.Backends;
import dev.oneloop.server.ByteSizes;
import dev.oneloop.server.Durations;
import dev.oneloop.server.SignalStop;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code resp-server}'s command line. Exit codes as the echo server's: 0 after a clean stop (also on
 * SIGTERM/SIGINT), 1 when it cannot listen or the loop failed, 2 for bad flags or a backend that is
 * unknown or cannot run.
 */
@Command(name = "resp-server", sortOptions = false, usageHelpAutoWidth = true,
        defaultValueProvider = RespMain.Defaults.class,
        description = {
            "A single-threaded RESP2 (Redis protocol) server on the oneloop loop: PING, ECHO, GET, SET (NX/XX, EX/PX, "
                    + "KEEPTTL, GET), DEL, EXISTS, INCR, DBSIZE, FLUSHALL, QUIT, and the CONFIG GET / COMMAND replies "
                    + "redis-cli and redis-benchmark need. In memory only: nothing is saved.",
            "When ready it prints one line to stdout, listening on HOST:PORT backend=NAME; logs go to stderr.",
            ""},
        footer = {
            "",
            "Sizes take k/KiB, m/MiB, g/GiB (powers of 1024); durations take ns, us, ms, s, m, h.",
            "",
            "The I/O backend is chosen with a system property, -Dbackend=nio|epoll|iouring|iouring-netty|auto, e.g.: "
                    + "java -Dbackend=epoll -jar resp-server.jar --port 6380",
            "",
            "SIGTERM or SIGINT stops accepting and reading, flushes pending replies for at most --shutdown-timeout, "
                    + "closes every connection and exits with code 0.",
            "",
            "Exit codes: 0 clean stop; 1 cannot listen, or the loop failed; 2 bad flags, or the backend is unknown "
                    + "or unavailable."})
public final class RespMain implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(RespMain.class);

    @Spec
    private CommandSpec spec;

    @Option(names = "--bind", paramLabel = "ADDRESS", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    private String bindAddress;

    @Option(names = "--port", paramLabel = "PORT", description = "TCP port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    private int port;

    @Option(names = "--high-watermark", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Reply bytes queued for one connection above which the server stops reading from it (default: ${DEFAULT-VALUE}).")
    private int highWatermark;

    @Option(names = "--low-watermark", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Queued reply bytes at or below which reading resumes (default: ${DEFAULT-VALUE}).")
    private int lowWatermark;

    @Option(names = "--max-backlog", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Queued reply bytes beyond which a connection is closed: a client pipelining without reading "
                    + "(Redis: client-output-buffer-limit) (default: ${DEFAULT-VALUE}).")
    private int maxBacklog;

    @Option(names = "--client-query-buffer-limit", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Unparsed input bytes of one connection beyond which it is closed (default: ${DEFAULT-VALUE}).")
    private int maxQueryBuffer;

    @Option(names = "--proto-max-bulk-len", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Longest bulk string accepted in a request; longer is a protocol error (default: ${DEFAULT-VALUE}).")
    private int maxBulkLength;

    @Option(names = "--max-multibulk-len", paramLabel = "N",
            description = "Most arguments in one request; more is a protocol error (default: ${DEFAULT-VALUE}).")
    private int maxMultibulkLength;

    @Option(names = "--shutdown-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "On SIGTERM/SIGINT, how long pending replies may still be flushed (default: ${DEFAULT-VALUE}).")
    private Duration shutdownTimeout;

    @Option(names = "--max-connections", paramLabel = "N",
            description = "Connections open at once; more are refused (default: ${DEFAULT-VALUE}).")
    private int maxConnections;

    @Option(names = "--read-buffer", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Bytes read per receive (default: ${DEFAULT-VALUE}).")
    private int readBufferSize;

    @Option(names = "--chunk-size", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Size of the pooled direct buffers replies are encoded into (default: ${DEFAULT-VALUE}).")
    private int chunkSize;

    @Option(names = "--accept-backoff", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Pause before accepting again after an accept error such as EMFILE (default: ${DEFAULT-VALUE}).")
    private Duration acceptBackoff;

    @Option(names = "--listen-backlog", paramLabel = "N",
            description = "Queue length for connections not yet accepted (default: ${DEFAULT-VALUE}).")
    private int listenBacklog;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    private RespMain() {
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, with one-line errors and exit code 2 for bad flags. Package-private for testing. */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new RespMain());
        cli.setParameterExceptionHandler((error, args) -> {
            PrintWriter err = error.getCommandLine().getErr();
            String message = error.getMessage() == null ? error.toString() : error.getMessage().lines().findFirst().orElse("");
            err.println("resp-server: " + message + " (try --help)");
            err.flush();
            return CommandLine.ExitCode.USAGE;
        });
        return cli;
    }

    @Override
    public Integer call() {
        RespConfig config;
        try {
            config = new RespConfig(bindAddress, port, highWatermark, lowWatermark, maxBacklog, maxQueryBuffer, maxBulkLength,
                    maxMultibulkLength, shutdownTimeout, maxConnections, readBufferSize, chunkSize, acceptBackoff, listenBacklog);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        PrintWriter err = spec.commandLine().getErr();
        Backend backend;
        try {
            backend = Backends.open(config.backendConfig());
        } catch (BackendSelectionException e) {
            err.println("resp-server: " + e.getMessage());
            err.flush();
            return CommandLine.ExitCode.USAGE;
        }
        SignalStop signals = null;
        int exitCode = CommandLine.ExitCode.OK;
        try (backend) {
            RespServer server = new RespServer(backend, config, System::nanoTime);
            InetSocketAddress address;
            try {
                address = server.bind();
            } catch (IOException e) {
                err.println("resp-server: cannot listen on " + config.bindAddress() + ":" + config.port() + ": " + e.getMessage());
                err.flush();
                return CommandLine.ExitCode.SOFTWARE;
            }
            signals = SignalStop.install("resp-server", config.shutdownTimeout(), server::activeConnections, server::requestStop);
            System.out.println("listening on " + RespServer.hostAndPort(address) + " backend=" + backend.name());
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

    static final class Defaults implements CommandLine.IDefaultValueProvider {
        @Override
        public String defaultValue(CommandLine.Model.ArgSpec argSpec) {
            if (!(argSpec instanceof OptionSpec option)) {
                return null;
            }
            RespConfig d = RespConfig.DEFAULTS;
            return switch (option.longestName()) {
                case "--bind" -> d.bindAddress();
                case "--port" -> Integer.toString(d.port());
                case "--high-watermark" -> ByteSizes.format(d.highWatermark());
                case "--low-watermark" -> ByteSizes.format(d.lowWatermark());
                case "--max-backlog" -> ByteSizes.format(d.maxBacklog());
                case "--client-query-buffer-limit" -> ByteSizes.format(d.maxQueryBuffer());
                case "--proto-max-bulk-len" -> ByteSizes.format(d.maxBulkLength());
                case "--max-multibulk-len" -> Integer.toString(d.maxMultibulkLength());
                case "--shutdown-timeout" -> Durations.format(d.shutdownTimeout());
                case "--max-connections" -> Integer.toString(d.maxConnections());
                case "--read-buffer" -> ByteSizes.format(d.readBufferSize());
                case "--chunk-size" -> ByteSizes.format(d.chunkSize());
                case "--accept-backoff" -> Durations.format(d.acceptBackoff());
                case "--listen-backlog" -> Integer.toString(d.listenBacklog());
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
