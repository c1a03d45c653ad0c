/** The reference application: the loop, timers, the echo + status-broadcast server and its CLI. */
module dev.oneloop.server {
    requires transitive dev.oneloop.backend;
    requires info.picocli;
    requires ch.qos.logback.classic;
    // Flight Recorder events and the JMX MBean.
    requires jdk.jfr;
    requires java.management;
    // com.sun.management.ThreadMXBean: bytes the loop thread allocates during a broadcast.
    requires jdk.management;

    exports dev.oneloop.server;
    // picocli fills Main's option fields reflectively.
    opens dev.oneloop.server to info.picocli;
}
