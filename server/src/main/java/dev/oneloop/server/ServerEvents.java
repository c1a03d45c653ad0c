package dev.oneloop.server;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * The server's Flight Recorder events, category {@code oneloop}. They cost nothing until a recording
 * runs ({@code java -XX:StartFlightRecording ...} or {@code jcmd PID JFR.start}): every emitter first
 * asks a preallocated instance whether its type is enabled, and only then creates an event, so a
 * server without a recording allocates nothing for them. {@code jfr print --events 'oneloop.*' file.jfr}
 * shows them.
 */
final class ServerEvents {

    static final String CATEGORY = "oneloop";

    /** Preallocated instances, used only to ask {@link Event#isEnabled()} without allocating. */
    private static final LoopTurn LOOP_TURN = new LoopTurn();
    private static final ConnectionOpened CONNECTION_OPENED = new ConnectionOpened();
    private static final ConnectionClosed CONNECTION_CLOSED = new ConnectionClosed();
    private static final StatusBroadcast STATUS_BROADCAST = new StatusBroadcast();
    private static final AcceptPaused ACCEPT_PAUSED = new AcceptPaused();
    private static final AcceptResumed ACCEPT_RESUMED = new AcceptResumed();

    private ServerEvents() {
    }

    static boolean loopTurnEnabled() {
        return LOOP_TURN.isEnabled();
    }

    static boolean connectionOpenedEnabled() {
        return CONNECTION_OPENED.isEnabled();
    }

    static boolean connectionClosedEnabled() {
        return CONNECTION_CLOSED.isEnabled();
    }

    static boolean statusBroadcastEnabled() {
        return STATUS_BROADCAST.isEnabled();
    }

    static boolean acceptPausedEnabled() {
        return ACCEPT_PAUSED.isEnabled();
    }

    static boolean acceptResumedEnabled() {
        return ACCEPT_RESUMED.isEnabled();
    }

    @Name("oneloop.LoopTurn")
    @Category(CATEGORY)
    @Label("Loop Turn")
    @Description("One turn of the loop whose busy time reached the server's --turn-event-threshold: "
            + "time waiting in poll, then time delivering callbacks and running timers")
    @StackTrace(false)
    static final class LoopTurn extends Event {
        @Label("Backend")
        String backend;
        @Label("Waiting")
        @Description("From entering poll to its first callback, or to its return when it delivered none")
        @Timespan(Timespan.NANOSECONDS)
        long waiting;
        @Label("Busy")
        @Description("From the first callback to the end of the due timers")
        @Timespan(Timespan.NANOSECONDS)
        long busy;
        @Label("Callbacks")
        int callbacks;
        @Label("Timers Run")
        int timersRun;
    }

    @Name("oneloop.ConnectionOpened")
    @Category(CATEGORY)
    @Label("Connection Opened")
    @StackTrace(false)
    static final class ConnectionOpened extends Event {
        @Label("Connection")
        @Description("The backend's handle, slot/generation")
        String connection;
        @Label("Active Connections")
        int activeConnections;
    }

    @Name("oneloop.ConnectionClosed")
    @Category(CATEGORY)
    @Label("Connection Closed")
    @StackTrace(false)
    static final class ConnectionClosed extends Event {
        @Label("Connection")
        String connection;
        @Label("Reason")
        String reason;
        @Label("Error")
        @Description("What the backend reported, for a connection closed on an error")
        String error;
        @Label("Error Kind")
        @Description("The error's kind (CONNECTION_RESET, BROKEN_PIPE, ...), for a connection closed on an error")
        String errorKind;
        @Label("Errno")
        @Description("The error's Linux errno, 0 if it has none")
        int errno;
        @Label("Dropped Bytes")
        @Description("Outbound bytes still queued, not sent")
        @DataAmount
        long droppedBytes;
        @Label("Active Connections")
        int activeConnections;
    }

    @Name("oneloop.StatusBroadcast")
    @Category(CATEGORY)
    @Label("Status Broadcast")
    @Description("One status tick: the line queued to every connection and handed to the backend")
    @StackTrace(false)
    static final class StatusBroadcast extends Event {
        @Label("Connections")
        int connections;
        @Label("Tick to Last Write")
        @Description("From the tick to the last line handed to the backend")
        @Timespan(Timespan.NANOSECONDS)
        long tickToLastWrite;
        @Label("Closed Over Backlog")
        @Description("Connections cut off by this tick because their queue passed --max-backlog")
        int closedOverBacklog;
    }

    @Name("oneloop.AcceptPaused")
    @Category(CATEGORY)
    @Label("Accept Paused")
    @Description("Accepting failed (e.g. EMFILE) and pauses for --accept-backoff; once per failing streak")
    @StackTrace(false)
    static final class AcceptPaused extends Event {
        @Label("Error")
        String error;
        @Label("Error Kind")
        @Description("The error's kind, e.g. TOO_MANY_OPEN_FILES or OUT_OF_HANDLES")
        String errorKind;
        @Label("Errno")
        @Description("The error's Linux errno, 0 if it has none")
        int errno;
        @Label("Active Connections")
        int activeConnections;
    }

    @Name("oneloop.AcceptResumed")
    @Category(CATEGORY)
    @Label("Accept Resumed")
    @Description("The first connection accepted after a pause")
    @StackTrace(false)
    static final class AcceptResumed extends Event {
        @Label("Paused For")
        @Timespan(Timespan.NANOSECONDS)
        long pausedFor;
        @Label("Active Connections")
        int activeConnections;
    }
}
