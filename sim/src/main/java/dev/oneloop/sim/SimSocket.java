package dev.oneloop.sim;

/**
 * What a {@link SimBackend} hands out handles for, a listener or a connection: where it stands in
 * the backend's order of opening, and whether something happened to it since the backend last
 * looked (virtual time: the backend looks only at those, in order of opening).
 */
abstract class SimSocket {

    /** Order of opening in the backend (listen, accept): the order a poll gathers results in. */
    long opened;
    /** In {@link SimNetwork#touched}: its state changed, or bytes or a FIN arrived for the server. */
    boolean touched;
    /** Marks it touched when bytes sent to the server arrive (scheduled at their arrival time). */
    final SimNetwork.Action arrived;
    /** The last {@link #arrived} scheduled has not fired yet; its time. */
    boolean arrivalScheduled;
    long arrivalAt;

    SimSocket(SimNetwork net) {
        this.arrived = now -> {
            arrivalScheduled = false;
            net.touch(this);
        };
    }
}
