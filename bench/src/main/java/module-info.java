/**
 * Benchmarks of oneloop: the load generator, the comparison peers (Netty's standard server,
 * a virtual-thread server, C floors), the comparison report and the JMH suite.
 */
module dev.oneloop.bench {
    requires java.management;
    requires jdk.management;
    requires dev.oneloop.server;
    requires jmh.core;
    requires io.netty.common;
    requires io.netty.buffer;
    requires io.netty.transport;
    requires io.netty.transport.classes.epoll;
    requires io.netty.transport.classes.io_uring;
    requires info.picocli;
    requires HdrHistogram;
    requires org.jfree.jfreechart;
    requires java.desktop;

    opens dev.oneloop.bench to info.picocli;
    opens dev.oneloop.bench.peers to info.picocli;
    opens dev.oneloop.bench.load to info.picocli;
    opens dev.oneloop.bench.report to info.picocli;
}
