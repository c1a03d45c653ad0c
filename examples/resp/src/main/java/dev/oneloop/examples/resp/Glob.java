package dev.oneloop.examples.resp;

/** Redis's glob-style patterns ({@code stringmatchlen}) without character classes: {@code *}, {@code ?}, {@code \} escapes. */
final class Glob {

    private Glob() {
    }

    static boolean matches(String pattern, String text) {
        return matches(pattern, 0, text, 0);
    }

    private static boolean matches(String p, int pi, String t, int ti) {
        while (pi < p.length()) {
            char c = p.charAt(pi);
            if (c == '*') {
                while (pi + 1 < p.length() && p.charAt(pi + 1) == '*') {
                    pi++;
                }
                if (pi + 1 == p.length()) {
                    return true;
                }
                for (int k = ti; k <= t.length(); k++) {
                    if (matches(p, pi + 1, t, k)) {
                        return true;
                    }
                }
                return false;
            }
            if (ti >= t.length()) {
                return false;
            }
            if (c == '\\' && pi + 1 < p.length()) {
                pi++;
                c = p.charAt(pi);
                if (t.charAt(ti) != c) {
                    return false;
                }
            } else if (c != '?' && t.charAt(ti) != c) {
                return false;
            }
            pi++;
            ti++;
        }
        return ti == t.length();
    }
}
