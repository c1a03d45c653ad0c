package dev.oneloop.server;

/** Why the server closed a connection: in its logs and in the {@code oneloop.ConnectionClosed} event. */
enum CloseReason {
    /** The peer shut down its side and every byte it sent was echoed. */
    PEER_EOF("peer EOF"),
    /** The backend reported an error on the connection (of any kind; the event and the log carry it). */
    ERROR("error"),
    /** The outbound queue passed {@code --max-backlog}: a client that does not read. */
    BACKLOG_LIMIT("backlog limit"),
    /** Nothing was received for {@code --idle-timeout}. */
    IDLE_TIMEOUT("idle timeout"),
    /** Stopping: the connection's output was flushed. */
    SHUTDOWN("shutdown"),
    /** Stopping: {@code --shutdown-timeout} passed with output still pending. */
    SHUTDOWN_TIMEOUT("shutdown timeout"),
    /** Accepted over {@code --max-connections} and closed at once. */
    REFUSED_MAX_CONNECTIONS("refused: max connections"),
    /** Accepted while stopping and closed at once. */
    REFUSED_STOPPING("refused: stopping");

    private final String label;

    CloseReason(String label) {
        this.label = label;
    }

    String label() {
        return label;
    }
}
