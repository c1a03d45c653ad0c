package dev.oneloop.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** A pipe hands the bytes over in order while its ring wraps and grows. */
class PipeTest {

    @Test
    void bytesComeOutInOrderWhileTheRingWrapsAndGrows() {
        SplittableRandom random = new SplittableRandom(3);
        Pipe pipe = new Pipe(1 << 20);
        byte[] chunk = new byte[70_000];
        byte[] into = new byte[70_000];
        long written = 0;
        long read = 0;
        for (int round = 0; round < 2_000; round++) {
            int n = Math.min(1 + random.nextInt(random.nextBoolean() ? 100 : 60_000), pipe.space());
            for (int i = 0; i < n; i++) {
                chunk[i] = (byte) (written + i);
            }
            pipe.write(chunk, 0, n, 0);
            written += n;
            int m = pipe.read(into, 0, random.nextInt(70_000), 0);
            for (int i = 0; i < m; i++) {
                assertThat(into[i]).isEqualTo((byte) (read + i));
            }
            read += m;
        }
        assertThat(pipe.unread()).isEqualTo(written - read);
    }
}
