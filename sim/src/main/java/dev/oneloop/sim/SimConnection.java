package dev.oneloop.sim;

import dev.oneloop.backend.Handles;
import java.nio.ByteBuffer;

/**
 * One simulated TCP connection: the client's end (driven by a {@link SimClient} or a test's peer)
 * and the server's end (a handle of a {@link SimBackend}). Package-private state, loop thread or
 * under the network's lock.
 */
public final class SimConnection extends SimSocket {

    /** Order of creation; names the connection in traces. */
    final int id;
    final int port;
    /** Client to server. */
    final Pipe up;
    /** Server to client. */
    final Pipe down;
    /** One-way latency of each direction's next bytes is drawn around this. */
    final long baseLatency;

    // ---- the server's end
    int handle = Handles.NONE;
    boolean accepted;
    boolean serverClosed;
    boolean readArmed;
    boolean eofDelivered;
    boolean errorDelivered;
    /** The write in flight: the caller's buffer, the range it must keep unchanged and its checksum. */
    ByteBuffer writing;
    int writeStart;
    int writeEnd;
    long writeChecksum;
    long writeStartedAt;

    // ---- the client's end
    boolean clientClosed;
    boolean clientReset;
    /** The server closed with unread input, or the listener went away: the client sees a reset. */
    boolean resetByServer;
    /** Whoever is notified when bytes or a close arrive for the client (sim mode). */
    SimNetwork.Action clientWake;
    /** Schedules of {@link #clientWake}: the last one has not fired yet, and its time. */
    boolean clientWakeScheduled;
    long clientWakeAt;
    /** The client's sender waiting for room in {@link #up} (virtual time), fired once when the server reads or closes. */
    SimNetwork.Action clientRoom;
    final SimNetwork.Action clientWakeFire = now -> {
        clientWakeScheduled = false;
        clientWake.fire(now);
    };

    SimConnection(SimNetwork net, int id, int port, int upCapacity, int downCapacity, long baseLatency) {
        super(net);
        this.id = id;
        this.port = port;
        this.up = new Pipe(upCapacity);
        this.down = new Pipe(downCapacity);
        this.baseLatency = baseLatency;
    }

    public int id() {
        return id;
    }

    /** The server's handle once accepted, else {@link Handles#NONE}. */
    public int handle() {
        return handle;
    }

    public boolean accepted() {
        return accepted;
    }

    public boolean serverClosed() {
        return serverClosed;
    }

    public boolean readArmed() {
        return readArmed;
    }

    public boolean eofDelivered() {
        return eofDelivered;
    }

    public boolean clientReset() {
        return clientReset;
    }

    public boolean clientClosed() {
        return clientClosed;
    }

    public boolean resetByServer() {
        return resetByServer;
    }

    /** The server's write in flight would fail: the client is gone. */
    boolean peerGone() {
        return clientReset || clientClosed;
    }

    @Override
    public String toString() {
        return "conn#" + id + "(" + Handles.toString(handle) + ")";
    }
}
