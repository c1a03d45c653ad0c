package dev.oneloop.bench.report;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One server of the comparison, as a line of {@code servers.conf}: a name, a file it requires and
 * the command that starts it (see the file's header for the syntax and placeholders).
 */
record ServerSpec(String name, String requires, List<String> command) {

    static final String DEFAULT_FILE = "bench/servers.conf";

    /** {@code bench/servers.conf} under {@code root} if it is there, else the copy in this jar. */
    static List<ServerSpec> load(Path file, Path root) throws IOException {
        if (file != null) {
            return parse(Files.readString(file), file.toString());
        }
        Path local = root.resolve(DEFAULT_FILE);
        if (Files.isRegularFile(local)) {
            return parse(Files.readString(local), local.toString());
        }
        try (InputStream in = ServerSpec.class.getResourceAsStream("servers.conf")) {
            if (in == null) {
                throw new IOException("no servers.conf in " + root + " nor in the bench jar");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "servers.conf (built in)");
        }
    }

    static List<ServerSpec> parse(String text, String source) throws IOException {
        List<ServerSpec> specs = new ArrayList<>();
        int lineNumber = 0;
        for (String line : text.split("\n")) {
            lineNumber++;
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            String[] tokens = trimmed.split("\\s+");
            if (tokens.length < 3) {
                throw new IOException(source + ":" + lineNumber + ": expected NAME REQUIRES COMMAND..., got: " + trimmed);
            }
            specs.add(new ServerSpec(tokens[0], tokens[1], List.of(Arrays.copyOfRange(tokens, 2, tokens.length))));
        }
        return specs;
    }

    /** The command with placeholders replaced; a placeholder standing alone may expand to several arguments. */
    List<String> expand(Map<String, String> values) {
        List<String> out = new ArrayList<>();
        for (String token : command) {
            String whole = values.get(token.length() > 2 ? token.substring(1, token.length() - 1) : "");
            if (token.startsWith("{") && token.endsWith("}") && whole != null) {
                if (!whole.isBlank()) {
                    out.addAll(List.of(whole.strip().split("\\s+")));
                }
                continue;
            }
            out.add(substitute(token, values));
        }
        return out;
    }

    /** The required file, resolved against {@code root}, or null when nothing is required. */
    Path requiredFile(Map<String, String> values, Path root) {
        return requires.equals("-") ? null : root.resolve(substitute(requires, values));
    }

    private static String substitute(String token, Map<String, String> values) {
        String s = token;
        for (Map.Entry<String, String> e : values.entrySet()) {
            s = s.replace("{" + e.getKey() + "}", e.getValue());
        }
        return s;
    }
}
