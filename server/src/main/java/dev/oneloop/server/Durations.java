package dev.oneloop.server;

import java.time.Duration;
import java.util.Locale;

/** Durations as written on the command line: a whole number and a unit, e.g. {@code 250ms}, {@code 5s}, {@code 1m}. */
public final class Durations {

    private Durations() {
    }

    /**
     * Parses {@code <digits><unit>} with unit {@code ns}, {@code us}, {@code ms}, {@code s},
     * {@code m} or {@code h} (case-insensitive, no space, no sign, no fraction); a bare {@code 0} is zero.
     *
     * @throws IllegalArgumentException with a message fit for a command-line error
     */
    public static Duration parse(String text) {
        String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        int digits = 0;
        while (digits < s.length() && s.charAt(digits) >= '0' && s.charAt(digits) <= '9') {
            digits++;
        }
        if (digits == 0 || digits == s.length()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration; write a whole number and a unit (ns, us, ms, s, m, h), e.g. 250ms, 5s, 1m");
        }
        long amount;
        try {
            amount = Long.parseLong(s.substring(0, digits));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is too long a duration", e);
        }
        String unit = s.substring(digits);
        try {
            return switch (unit) {
                case "ns" -> Duration.ofNanos(amount);
                case "us" -> Duration.ofNanos(Math.multiplyExact(amount, 1_000L));
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> throw new IllegalArgumentException("'" + text + "' has an unknown unit '" + unit + "'; use ns, us, ms, s, m or h");
            };
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is too long a duration", e);
        }
    }

    /** The shortest exact form {@link #parse} reads back, e.g. {@code 250ms}, {@code 5s}. */
    public static String format(Duration duration) {
        long nanos = duration.toNanos();
        if (nanos == 0) {
            return "0s";
        }
        long[] factors = {3_600_000_000_000L, 60_000_000_000L, 1_000_000_000L, 1_000_000L, 1_000L, 1L};
        String[] units = {"h", "m", "s", "ms", "us", "ns"};
        for (int i = 0; i < factors.length; i++) {
            if (nanos % factors[i] == 0) {
                return nanos / factors[i] + units[i];
            }
        }
        throw new AssertionError("unreachable: every duration is a whole number of nanoseconds");
    }
}
