package dev.oneloop.server;

/**
 * What an {@link EchoServer} has done, for JMX ({@code jconsole}, {@code jcmd}, any JMX client):
 * registered as {@code dev.oneloop:type=EchoServer,backend=NAME,port=PORT} while the server runs
 * (unless {@code --no-jmx}). Every value is published by the loop thread as it changes and read
 * without calling into the loop, so reading never blocks or slows it.
 */
public interface EchoServerMXBean {

    /** The backend the server runs on, e.g. {@code iouring}. */
    String getBackend();

    /** The address listened on, e.g. {@code 127.0.0.1:9000}. */
    String getAddress();

    int getActiveConnections();

    long getConnectionsAccepted();

    /** Accepted and closed at once: over {@code --max-connections}, or while stopping. */
    long getConnectionsRefused();

    /** Closed because their outbound queue passed {@code --max-backlog} (a client that does not read). */
    long getConnectionsClosedOverBacklog();

    /** Closed by the peer: end of stream, reset or broken pipe. */
    long getConnectionsClosedByPeer();

    /** Closed because nothing was received for {@code --idle-timeout}. */
    long getConnectionsClosedIdle();

    /** Bytes received from every connection. */
    long getBytesIn();

    /** Bytes handed to the kernel for every connection: echoes and status lines. */
    long getBytesOut();

    /** Receives delivered and echoed (one per {@code onRead}, whatever its size). */
    long getMessagesEchoed();

    /** Status ticks run. */
    long getBroadcasts();

    /** Status lines queued, one per connection and tick. */
    long getStatusLinesQueued();

    /** Status lines not queued because their connection was cut off at that tick for passing {@code --max-backlog}. */
    long getStatusLinesDropped();

    /** Outbound bytes queued now, over every connection, including writes in flight. */
    long getPendingBytes();

    /** Times accepting paused after an error such as {@code EMFILE} (once per failing streak). */
    long getAcceptPauses();
}
