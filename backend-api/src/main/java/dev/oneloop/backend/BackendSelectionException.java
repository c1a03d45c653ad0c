package dev.oneloop.backend;

/** The requested backend is unknown or cannot run here; the message says which exist and why. */
public final class BackendSelectionException extends Exception {

    private static final long serialVersionUID = 1L;

    public BackendSelectionException(String message, Throwable cause) {
        super(message, cause);
    }
}
