package dev.oneloop.bench;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** The server's duration syntax ({@code 250ms}, {@code 5s}, {@code 1m}), shared by every tool in bench. */
public final class Durations implements ITypeConverter<Duration> {

    private static final Pattern SYNTAX = Pattern.compile("(\\d+(?:\\.\\d+)?)(us|ms|s|m)");

    public static Duration parse(String text) {
        Matcher m = SYNTAX.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a duration: '" + text + "' (use e.g. 250ms, 5s, 1m)");
        }
        double value = Double.parseDouble(m.group(1));
        double nanos = switch (m.group(2)) {
            case "us" -> value * 1e3;
            case "ms" -> value * 1e6;
            case "s" -> value * 1e9;
            default -> value * 60e9;
        };
        return Duration.ofNanos(Math.round(nanos));
    }

    /** The shortest exact spelling in the same syntax, e.g. {@code 1s} or {@code 250ms}. */
    public static String format(Duration d) {
        long nanos = d.toNanos();
        if (nanos % 60_000_000_000L == 0 && nanos > 0) {
            return nanos / 60_000_000_000L + "m";
        }
        if (nanos % 1_000_000_000L == 0) {
            return nanos / 1_000_000_000L + "s";
        }
        if (nanos % 1_000_000L == 0) {
            return nanos / 1_000_000L + "ms";
        }
        return Math.max(1, nanos / 1_000L) + "us";
    }

    @Override
    public Duration convert(String value) {
        try {
            return parse(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
