/** The io_uring backend on our own ring: completion-model I/O through java.lang.foreign, no JNI. */
module dev.oneloop.backend.iouring {
    requires dev.oneloop.backend;

    provides dev.oneloop.backend.BackendProvider with dev.oneloop.backend.iouring.IoUringBackendProvider;
}
