package dev.oneloop.server.example;

import static org.assertj.core.api.Assertions.assertThat;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.BackendConfig;
import dev.oneloop.backend.BackendProvider;
import dev.oneloop.backend.Backends;
import dev.oneloop.server.Loop;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The README's "Build your own server" example: it is this file, and it works on every backend. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class UppercaseServerTest {

    private static final Path SOURCE = Path.of("src/test/java/dev/oneloop/server/example/UppercaseServer.java");

    static Stream<String> backends() {
        return Backends.providers().stream().filter(BackendProvider::isAvailable).map(BackendProvider::name);
    }

    @Test
    void theReadmeShowsThisExampleAsItIs() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        String source = Files.readString(SOURCE);
        String body = source.substring(source.indexOf("import "));
        assertThat(readme).as("README.md holds UppercaseServer.java from its imports on, unchanged").contains(body);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void upperCasesWhatItReceivesAndClosesAfterThePeerDoes(String backend) throws Exception {
        CompletableFuture<InetSocketAddress> listening = new CompletableFuture<>();
        CompletableFuture<Loop> running = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try (Backend opened = Backends.open(backend, new BackendConfig(8, 16 << 10))) {
                Loop loop = new Loop(opened, System::nanoTime);
                UppercaseServer server = new UppercaseServer(loop, 4);
                listening.complete(server.listen(new InetSocketAddress("127.0.0.1", 0)));
                running.complete(loop);
                loop.run(server);
            } catch (Exception e) {
                listening.completeExceptionally(e);
            }
        }, "uppercase-" + backend);
        thread.start();
        InetSocketAddress address = listening.get(10, TimeUnit.SECONDS);
        try (Socket socket = new Socket()) {
            socket.connect(address, 5_000);
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("hello, oneloop 25!\n".getBytes(StandardCharsets.US_ASCII));
            socket.shutdownOutput();
            InputStream in = socket.getInputStream();
            assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("HELLO, ONELOOP 25!\n");
        } finally {
            running.get(10, TimeUnit.SECONDS).requestStop();
            thread.join(10_000);
        }
        assertThat(thread.isAlive()).isFalse();
    }
}
