import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Seeds per second of the loop thread's CPU for two builds of the simulator, in one JVM, with the JIT
 * warm: each jar in a class loader of its own, blocks of seeds alternating between them (A B, B A,
 * ...), both running the same seeds in a block through {@code Main.check}, as a sweep does. The first block
 * is the warm-up and not counted. On a shared VM whose speed drifts, the ratio within one run is the
 * figure to trust; pin it to one core with taskset.
 *
 * <pre>taskset -c 0 java sim/tools/CompareJars.java OLD.jar NEW.jar [BLOCKS [SEEDS_PER_BLOCK [FIRST_SEED]]]</pre>
 */
public class CompareJars {

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: java sim/tools/CompareJars.java OLD.jar NEW.jar [BLOCKS [SEEDS_PER_BLOCK [FIRST_SEED]]]");
            System.exit(2);
        }
        int blocks = args.length > 2 ? Integer.parseInt(args[2]) : 9;
        int perBlock = args.length > 3 ? Integer.parseInt(args[3]) : 300;
        long first = args.length > 4 ? Long.decode(args[4]) : 200_000;
        if (blocks < 2 || perBlock < 1) {
            throw new IllegalArgumentException("need at least 2 blocks (the first is the warm-up) and 1 seed per block");
        }
        Method[] run = new Method[2];
        for (int i = 0; i < 2; i++) {
            Path jar = Path.of(args[i]);
            if (!Files.isRegularFile(jar)) {
                throw new IllegalArgumentException("no such jar: " + jar);
            }
            ClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
            // What a sweep does per seed: Main.check runs it twice and compares the traces.
            run[i] = loader.loadClass("dev.oneloop.sim.Main").getDeclaredMethod("check", long.class, boolean.class);
            run[i].setAccessible(true);
        }
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        double[] seconds = new double[2];
        for (int b = 0; b < blocks; b++) {
            for (int k = 0; k < 2; k++) {
                int i = b % 2 == 0 ? k : 1 - k;
                long from = first + (long) b * perBlock;
                long start = threads.getCurrentThreadCpuTime();
                for (long seed = from; seed < from + perBlock; seed++) {
                    run[i].invoke(null, seed, false);
                }
                double s = (threads.getCurrentThreadCpuTime() - start) / 1e9;
                if (b > 0) {
                    seconds[i] += s;
                }
                System.out.printf("block %d %s: %.0f seeds per CPU-second%s%n", b, i == 0 ? "old" : "new", perBlock / s,
                        b == 0 ? " (warm-up, not counted)" : "");
            }
        }
        int counted = (blocks - 1) * perBlock;
        System.out.printf("old %.0f, new %.0f seeds per CPU-second of the loop thread (%d seeds each, each run twice): new/old %.2f%n",
                counted / seconds[0], counted / seconds[1], counted, seconds[0] / seconds[1]);
    }
}
