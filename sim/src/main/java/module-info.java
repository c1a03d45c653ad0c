/** Deterministic simulation of oneloop: a simulated network behind the Backend SPI, in virtual time. */
module dev.oneloop.sim {
    requires transitive dev.oneloop.backend;
    requires dev.oneloop.server;
    requires ch.qos.logback.classic;
    requires jdk.management;

    exports dev.oneloop.sim;
}
