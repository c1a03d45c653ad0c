package dev.oneloop.examples.resp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The keyspace against a HashMap model: random inserts, replaces, deletes and expiries on a fake clock, with growth and wrap-around. */
class KeyspaceTest {

    private static ByteBuffer key(String k) {
        return ByteBuffer.wrap(k.getBytes(StandardCharsets.UTF_8));
    }

    private static int find(Keyspace keyspace, String k, long now) {
        ByteBuffer b = key(k);
        return keyspace.find(b, 0, b.limit(), now);
    }

    @Test
    void behavesLikeAMapWithDeadlinesUnderRandomOperations() {
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        Keyspace keyspace = new Keyspace(16);
        Map<String, String> values = new HashMap<>();
        Map<String, Long> deadlines = new HashMap<>();
        long now = 1_000;
        for (int step = 0; step < 200_000; step++) {
            String k = "k" + random.nextInt(3_000);
            now += random.nextInt(3);
            // Expired keys leave the model as they leave the keyspace: on access, or by a sweep.
            Long deadline = deadlines.get(k);
            if (deadline != null && deadline - now <= 0) {
                values.remove(k);
                deadlines.remove(k);
            }
            int slot = find(keyspace, k, now);
            assertThat(slot != Keyspace.ABSENT).as("seed %d step %d: %s present", seed, step, k).isEqualTo(values.containsKey(k));
            if (slot != Keyspace.ABSENT) {
                assertThat(new String(keyspace.value(slot), StandardCharsets.UTF_8)).as("seed %d step %d", seed, step).isEqualTo(values.get(k));
            }
            switch (random.nextInt(5)) {
                case 0, 1 -> {
                    String v = "v" + step;
                    long d = random.nextInt(4) == 0 ? now + 1 + random.nextInt(500) : Keyspace.PERSISTENT;
                    if (slot == Keyspace.ABSENT) {
                        ByteBuffer b = key(k);
                        keyspace.insert(b, 0, b.limit(), v.getBytes(StandardCharsets.UTF_8), d);
                    } else {
                        keyspace.replace(slot, v.getBytes(StandardCharsets.UTF_8), d);
                    }
                    values.put(k, v);
                    if (d == Keyspace.PERSISTENT) {
                        deadlines.remove(k);
                    } else {
                        deadlines.put(k, d);
                    }
                }
                case 2 -> {
                    if (slot != Keyspace.ABSENT) {
                        keyspace.remove(slot);
                        values.remove(k);
                        deadlines.remove(k);
                    }
                }
                case 3 -> {
                    int deleted = keyspace.sweep(now, 20);
                    assertThat(deleted).isBetween(0, 20);
                    // Whatever the sweep deleted had expired: drop expired keys from the model the same way, by looking.
                    final long at = now;
                    deadlines.entrySet().removeIf(e -> {
                        boolean gone = e.getValue() - at <= 0 && find(keyspace, e.getKey(), at) == Keyspace.ABSENT;
                        if (gone) {
                            values.remove(e.getKey());
                        }
                        return gone;
                    });
                }
                default -> {
                }
            }
            assertThat(keyspace.withDeadline()).as("seed %d step %d", seed, step).isEqualTo(deadlines.size());
            assertThat(keyspace.size()).as("seed %d step %d", seed, step).isEqualTo(values.size());
        }
    }

    @Test
    void sweepingRemovesEveryExpiredKeyEventually() {
        Keyspace keyspace = new Keyspace(16);
        for (int i = 0; i < 5_000; i++) {
            ByteBuffer b = key("t" + i);
            keyspace.insert(b, 0, b.limit(), new byte[] {1}, i % 2 == 0 ? 100 : Keyspace.PERSISTENT);
        }
        for (int round = 0; round < 10_000 && keyspace.withDeadline() > 0; round++) {
            keyspace.sweep(200, 20);
        }
        assertThat(keyspace.withDeadline()).isZero();
        assertThat(keyspace.size()).isEqualTo(2_500);
        for (int i = 1; i < 5_000; i += 2) {
            assertThat(find(keyspace, "t" + i, 200)).isNotEqualTo(Keyspace.ABSENT);
        }
    }
}
