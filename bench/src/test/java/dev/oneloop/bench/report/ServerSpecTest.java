package dev.oneloop.bench.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ServerSpecTest {

    private static final Map<String, String> VALUES = Map.of("java", "/jdk/bin/java", "jvm.flags", "-Xmx1g  -Da=b",
            "c.dir", "/out/c", "status.interval", "1s");

    @Test
    void readsNameRequirementAndCommandSkippingCommentsAndBlankLines() throws IOException {
        List<ServerSpec> specs = ServerSpec.parse("""
                # a comment
                one   server/target/x.jar   {java} {jvm.flags} -jar server/target/x.jar --status-interval {status.interval}

                two   -   {c.dir}/two --port 0
                """, "test");

        assertThat(specs).extracting(ServerSpec::name).containsExactly("one", "two");
        assertThat(specs.get(0).expand(VALUES)).containsExactly("/jdk/bin/java", "-Xmx1g", "-Da=b", "-jar", "server/target/x.jar",
                "--status-interval", "1s");
        assertThat(specs.get(0).requiredFile(VALUES, Path.of("/repo"))).isEqualTo(Path.of("/repo/server/target/x.jar"));
        assertThat(specs.get(1).expand(VALUES)).containsExactly("/out/c/two", "--port", "0");
        assertThat(specs.get(1).requiredFile(VALUES, Path.of("/repo"))).isNull();
    }

    @Test
    void anEmptyPlaceholderAddsNoArgument() throws IOException {
        ServerSpec spec = ServerSpec.parse("x - {java} {jvm.flags} -version", "test").get(0);

        assertThat(spec.expand(Map.of("java", "java", "jvm.flags", ""))).containsExactly("java", "-version");
    }

    @Test
    void aLineWithoutACommandIsAnErrorNamingTheLine() {
        assertThatThrownBy(() -> ServerSpec.parse("ok - cmd\nbroken -\n", "servers.conf"))
                .isInstanceOf(IOException.class).hasMessageContaining("servers.conf:2");
    }

    @Test
    void theShippedListNamesEveryServerOfTheComparison() throws IOException {
        List<ServerSpec> specs = ServerSpec.load(null, Path.of("/nonexistent"));

        assertThat(specs).extracting(ServerSpec::name).containsExactly("oneloop-nio", "oneloop-epoll", "oneloop-epoll-jfr", "oneloop-iouring", "oneloop-iouring-netty",
                "netty-nio", "netty-epoll", "netty-iouring", "vthreads", "c-epoll", "c-iouring");
    }
}
