package dev.oneloop.examples.resp;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The commands: each one reads its {@link Args}, works on the {@link Keyspace} and encodes its reply
 * into a {@link ReplyQueue}, with Redis 7.0's replies and error wording (checked byte for byte
 * against {@code redis-server} 7.0.15 by the tests). The command name is matched in place, case
 * insensitively, so dispatch allocates nothing. Loop thread only.
 */
final class Commands {

    /** What the connection does after a command. */
    enum After { CONTINUE, CLOSE_AFTER_REPLY }

    private static final byte[] OK = bytes("+OK\r\n");
    private static final byte[] PONG = bytes("+PONG\r\n");
    private static final byte[] NIL = bytes("$-1\r\n");
    private static final byte[] EMPTY_ARRAY = bytes("*0\r\n");
    private static final byte[] SYNTAX_ERROR = bytes("-ERR syntax error\r\n");
    private static final byte[] NOT_AN_INTEGER = bytes("-ERR value is not an integer or out of range\r\n");

    private static final byte[] GET = bytes("GET");
    private static final byte[] SET = bytes("SET");
    private static final byte[] DEL = bytes("DEL");
    private static final byte[] PING = bytes("PING");
    private static final byte[] ECHO = bytes("ECHO");
    private static final byte[] INCR = bytes("INCR");
    private static final byte[] QUIT = bytes("QUIT");
    private static final byte[] EXISTS = bytes("EXISTS");
    private static final byte[] DBSIZE = bytes("DBSIZE");
    private static final byte[] CONFIG = bytes("CONFIG");
    private static final byte[] COMMAND = bytes("COMMAND");
    private static final byte[] FLUSHALL = bytes("FLUSHALL");
    private static final byte[] NX = bytes("NX");
    private static final byte[] XX = bytes("XX");
    private static final byte[] EX = bytes("EX");
    private static final byte[] PX = bytes("PX");
    private static final byte[] KEEPTTL = bytes("KEEPTTL");
    private static final byte[] ASYNC = bytes("ASYNC");
    private static final byte[] SYNC = bytes("SYNC");
    private static final byte[] COUNT = bytes("COUNT");
    private static final byte[] DOCS = bytes("DOCS");

    /** Commands served, for {@code COMMAND COUNT}. */
    static final int COMMAND_COUNT = 12;

    /** Expiry deadlines are kept in nanoseconds on the loop's clock; this caps them (about 290 years). */
    private static final long MAX_EXPIRE_MILLIS = Long.MAX_VALUE / 1_000_000 / 2;

    private final Keyspace keyspace;
    private final LongSupplier nanoClock;
    /** {@code CONFIG GET} answers these, as {@code redis-benchmark} asks for {@code save} and {@code appendonly}. */
    private final Map<String, String> config = new LinkedHashMap<>();

    Commands(Keyspace keyspace, LongSupplier nanoClock, RespConfig settings) {
        this.keyspace = keyspace;
        this.nanoClock = nanoClock;
        config.put("save", "");
        config.put("appendonly", "no");
        config.put("databases", "1");
        config.put("proto-max-bulk-len", Integer.toString(settings.maxBulkLength()));
        config.put("client-query-buffer-limit", Integer.toString(settings.maxQueryBuffer()));
        config.put("port", Integer.toString(settings.port()));
    }

    After execute(Args a, ReplyQueue out) {
        int argc = a.count();
        switch (a.length(0)) {
            case 3 -> {
                if (a.is(0, GET)) {
                    if (argc != 2) {
                        return arityError(out, "get");
                    }
                    get(a, out);
                    return After.CONTINUE;
                }
                if (a.is(0, SET)) {
                    if (argc < 3) {
                        return arityError(out, "set");
                    }
                    set(a, out);
                    return After.CONTINUE;
                }
                if (a.is(0, DEL)) {
                    if (argc < 2) {
                        return arityError(out, "del");
                    }
                    del(a, out);
                    return After.CONTINUE;
                }
            }
            case 4 -> {
                if (a.is(0, PING)) {
                    if (argc > 2) {
                        return arityError(out, "ping");
                    }
                    if (argc == 1) {
                        out.raw(PONG);
                    } else {
                        out.bulk(a.source(), a.offset(1), a.length(1));
                    }
                    return After.CONTINUE;
                }
                if (a.is(0, ECHO)) {
                    if (argc != 2) {
                        return arityError(out, "echo");
                    }
                    out.bulk(a.source(), a.offset(1), a.length(1));
                    return After.CONTINUE;
                }
                if (a.is(0, INCR)) {
                    if (argc != 2) {
                        return arityError(out, "incr");
                    }
                    incr(a, out);
                    return After.CONTINUE;
                }
                if (a.is(0, QUIT)) {
                    out.raw(OK);
                    return After.CLOSE_AFTER_REPLY;
                }
            }
            case 6 -> {
                if (a.is(0, EXISTS)) {
                    if (argc < 2) {
                        return arityError(out, "exists");
                    }
                    exists(a, out);
                    return After.CONTINUE;
                }
                if (a.is(0, DBSIZE)) {
                    if (argc != 1) {
                        return arityError(out, "dbsize");
                    }
                    out.integer(keyspace.size());
                    return After.CONTINUE;
                }
                if (a.is(0, CONFIG)) {
                    return config(a, out);
                }
            }
            case 7 -> {
                if (a.is(0, COMMAND)) {
                    return command(a, out);
                }
            }
            case 8 -> {
                if (a.is(0, FLUSHALL)) {
                    if (argc > 2 || (argc == 2 && !a.is(1, ASYNC) && !a.is(1, SYNC))) {
                        out.raw(SYNTAX_ERROR);
                    } else {
                        keyspace.clear();
                        out.raw(OK);
                    }
                    return After.CONTINUE;
                }
            }
            default -> {
            }
        }
        unknownCommand(a, out);
        return After.CONTINUE;
    }

    private void get(Args a, ReplyQueue out) {
        int slot = keyspace.find(a.source(), a.offset(1), a.length(1), nanoClock.getAsLong());
        if (slot == Keyspace.ABSENT) {
            out.raw(NIL);
        } else {
            out.bulk(keyspace.value(slot));
        }
    }

    /** {@code SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | KEEPTTL]}, parsed as Redis 7.0 does. */
    private void set(Args a, ReplyQueue out) {
        boolean nx = false;
        boolean xx = false;
        boolean get = false;
        boolean keepTtl = false;
        int expireArg = -1;
        boolean seconds = false;
        for (int j = 3; j < a.count(); j++) {
            boolean hasNext = j + 1 < a.count();
            if (a.is(j, NX) && !xx) {
                nx = true;
            } else if (a.is(j, XX) && !nx) {
                xx = true;
            } else if (a.is(j, GET)) {
                get = true;
            } else if (a.is(j, KEEPTTL) && expireArg < 0) {
                keepTtl = true;
            } else if (a.is(j, EX) && !keepTtl && (expireArg < 0 || seconds) && hasNext) {
                seconds = true;
                expireArg = ++j;
            } else if (a.is(j, PX) && !keepTtl && (expireArg < 0 || !seconds) && hasNext) {
                seconds = false;
                expireArg = ++j;
            } else {
                out.raw(SYNTAX_ERROR);
                return;
            }
        }
        long now = nanoClock.getAsLong();
        long deadline = Keyspace.PERSISTENT;
        if (expireArg >= 0) {
            long expire = a.parseLong(expireArg);
            if (expire == Numbers.INVALID) {
                out.raw(NOT_AN_INTEGER);
                return;
            }
            if (expire <= 0 || (seconds && expire > Long.MAX_VALUE / 1000)) {
                out.error("ERR invalid expire time in 'set' command");
                return;
            }
            long millis = Math.min(seconds ? expire * 1000 : expire, MAX_EXPIRE_MILLIS);
            deadline = now + millis * 1_000_000;
            if (deadline == Keyspace.PERSISTENT) {
                deadline = 1;
            }
        }
        ByteBuffer src = a.source();
        int slot = keyspace.find(src, a.offset(1), a.length(1), now);
        if (get) {
            if (slot == Keyspace.ABSENT) {
                out.raw(NIL);
            } else {
                out.bulk(keyspace.value(slot));
            }
        }
        if ((nx && slot != Keyspace.ABSENT) || (xx && slot == Keyspace.ABSENT)) {
            if (!get) {
                out.raw(NIL);
            }
            return;
        }
        int length = a.length(2);
        if (slot == Keyspace.ABSENT) {
            byte[] value = new byte[length];
            src.get(a.offset(2), value);
            keyspace.insert(src, a.offset(1), a.length(1), value, deadline);
        } else {
            byte[] value = keyspace.value(slot);
            if (value.length != length) {
                value = new byte[length]; // same length: overwritten in place (a GET reply already holds a copy)
            }
            src.get(a.offset(2), value);
            keyspace.replace(slot, value, keepTtl ? keyspace.deadline(slot) : deadline);
        }
        if (!get) {
            out.raw(OK);
        }
    }

    private void del(Args a, ReplyQueue out) {
        long now = nanoClock.getAsLong();
        int deleted = 0;
        for (int i = 1; i < a.count(); i++) {
            int slot = keyspace.find(a.source(), a.offset(i), a.length(i), now);
            if (slot != Keyspace.ABSENT) {
                keyspace.remove(slot);
                deleted++;
            }
        }
        out.integer(deleted);
    }

    private void exists(Args a, ReplyQueue out) {
        long now = nanoClock.getAsLong();
        int found = 0;
        for (int i = 1; i < a.count(); i++) {
            if (keyspace.find(a.source(), a.offset(i), a.length(i), now) != Keyspace.ABSENT) {
                found++;
            }
        }
        out.integer(found);
    }

    private void incr(Args a, ReplyQueue out) {
        ByteBuffer src = a.source();
        int slot = keyspace.find(src, a.offset(1), a.length(1), nanoClock.getAsLong());
        long old = 0;
        if (slot != Keyspace.ABSENT) {
            byte[] value = keyspace.value(slot);
            old = Numbers.parseLong(ByteBuffer.wrap(value), 0, value.length);
            if (old == Numbers.INVALID) {
                out.raw(NOT_AN_INTEGER);
                return;
            }
        }
        if (old == Long.MAX_VALUE) {
            out.error("ERR increment or decrement would overflow");
            return;
        }
        long updated = old + 1;
        byte[] digits = new byte[Numbers.decimalLength(updated)];
        Numbers.writeDecimal(updated, digits, 0);
        if (slot == Keyspace.ABSENT) {
            keyspace.insert(src, a.offset(1), a.length(1), digits, Keyspace.PERSISTENT);
        } else {
            keyspace.replace(slot, digits, keyspace.deadline(slot));
        }
        out.integer(updated);
    }

    private After config(Args a, ReplyQueue out) {
        if (a.count() < 2) {
            return arityError(out, "config");
        }
        if (!a.is(1, GET)) {
            out.error("ERR unknown subcommand '" + a.text(1, 128) + "'. Try CONFIG HELP.");
            return After.CONTINUE;
        }
        if (a.count() < 3) {
            return arityError(out, "config|get");
        }
        Map<String, String> matched = new LinkedHashMap<>();
        for (int i = 2; i < a.count(); i++) {
            String pattern = a.text(i, Integer.MAX_VALUE).toLowerCase(java.util.Locale.ROOT);
            config.forEach((name, value) -> {
                if (Glob.matches(pattern, name)) {
                    matched.put(name, value);
                }
            });
        }
        out.arrayHeader(matched.size() * 2);
        matched.forEach((name, value) -> {
            out.bulk(name);
            out.bulk(value);
        });
        return After.CONTINUE;
    }

    private After command(Args a, ReplyQueue out) {
        if (a.count() == 1) {
            out.raw(EMPTY_ARRAY); // Redis lists every command's flags and key specs; nothing here needs them
        } else if (a.is(1, COUNT)) {
            if (a.count() != 2) {
                return arityError(out, "command|count");
            }
            out.integer(COMMAND_COUNT);
        } else if (a.is(1, DOCS)) {
            out.raw(EMPTY_ARRAY); // redis-cli then falls back to its built-in help
        } else {
            out.error("ERR unknown subcommand '" + a.text(1, 128) + "'. Try COMMAND HELP.");
        }
        return After.CONTINUE;
    }

    private static After arityError(ReplyQueue out, String name) {
        out.error("ERR wrong number of arguments for '" + name + "' command");
        return After.CONTINUE;
    }

    /** Redis's {@code unknown command '%.128s', with args beginning with: } followed by {@code '%.*s' } per argument while under 128 characters. */
    private static void unknownCommand(Args a, ReplyQueue out) {
        StringBuilder args = new StringBuilder();
        for (int i = 1; i < a.count() && args.length() < 128; i++) {
            String arg = a.text(i, 128 - args.length());
            args.append('\'').append(arg).append("' ");
        }
        out.error("ERR unknown command '" + a.text(0, 128) + "', with args beginning with: " + args);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
