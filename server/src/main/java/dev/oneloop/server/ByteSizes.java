package dev.oneloop.server;

import java.util.Locale;

/** Byte counts as written on the command line: {@code 65536}, {@code 64k}, {@code 64KiB}, {@code 1m}, {@code 1MiB}, {@code 1g}. */
public final class ByteSizes {

    private ByteSizes() {
    }

    /**
     * Parses a whole number of bytes with an optional binary unit: {@code b}, {@code k}/{@code KiB}
     * (1024), {@code m}/{@code MiB}, {@code g}/{@code GiB}; case-insensitive.
     *
     * @throws IllegalArgumentException with a message fit for a command-line error, also for values
     *                                  above {@link Integer#MAX_VALUE}
     */
    public static int parse(String text) {
        String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        int digits = 0;
        while (digits < s.length() && s.charAt(digits) >= '0' && s.charAt(digits) <= '9') {
            digits++;
        }
        if (digits == 0) {
            throw new IllegalArgumentException("'" + text + "' is not a size; write a whole number of bytes with an optional unit (k, KiB, m, MiB, g, GiB), e.g. 64KiB");
        }
        int shift = switch (s.substring(digits)) {
            case "", "b" -> 0;
            case "k", "kib" -> 10;
            case "m", "mib" -> 20;
            case "g", "gib" -> 30;
            default -> throw new IllegalArgumentException("'" + text + "' has an unknown unit; use k, KiB, m, MiB, g or GiB (powers of 1024)");
        };
        long value;
        try {
            value = Long.parseLong(s.substring(0, digits));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is too large", e);
        }
        if (value > (Integer.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("'" + text + "' is too large (at most " + Integer.MAX_VALUE + " bytes)");
        }
        return (int) (value << shift);
    }

    /** The shortest exact form {@link #parse} reads back, e.g. {@code 16KiB}, {@code 1MiB}, {@code 1000}. */
    public static String format(long bytes) {
        String[] units = {"GiB", "MiB", "KiB"};
        int[] shifts = {30, 20, 10};
        for (int i = 0; i < units.length; i++) {
            long unit = 1L << shifts[i];
            if (bytes != 0 && bytes % unit == 0) {
                return bytes / unit + units[i];
            }
        }
        return Long.toString(bytes);
    }
}
