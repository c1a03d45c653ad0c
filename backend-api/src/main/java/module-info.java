/** The oneloop Backend SPI: {@link dev.oneloop.backend.Backend}, its providers and the loader. */
module dev.oneloop.backend {
    requires transitive org.slf4j;

    exports dev.oneloop.backend;

    uses dev.oneloop.backend.BackendProvider;
}
