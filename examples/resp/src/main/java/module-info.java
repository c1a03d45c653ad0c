/** A RESP2 (Redis protocol) server on the Backend SPI and the server module's loop and timers. */
module dev.oneloop.examples.resp {
    requires transitive dev.oneloop.server;
    requires org.slf4j;
    requires info.picocli;
    requires ch.qos.logback.classic;

    exports dev.oneloop.examples.resp;
    // picocli fills RespMain's option fields reflectively.
    opens dev.oneloop.examples.resp to info.picocli;
}
