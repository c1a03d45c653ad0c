package dev.oneloop.backend.testing;

import dev.oneloop.backend.Backend;
import dev.oneloop.backend.Handles;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A {@link Backend.Handler} for tests and probes that care about a few callbacks: override those;
 * every other one <em>fails</em> with an {@link AssertionError} naming the callback (and carrying
 * the error of {@code onAcceptError}/{@code onError} as its cause). A callback a test did not expect
 * is a finding, not something to swallow: thrown from inside {@code poll}, the error reaches the
 * test (or the {@link BackendLoop}'s checker, which records it as a violation). A callback that is
 * expected but needs no action is overridden with an empty body, which then says so in the test.
 */
public abstract class HandlerAdapter implements Backend.Handler {

    protected HandlerAdapter() {
    }

    /** A handler that expects no callback at all. */
    public static Backend.Handler expectingNone() {
        return new HandlerAdapter() {
        };
    }

    @Override
    public void onAccept(int listener, int connection) {
        throw unexpected("onAccept(" + Handles.toString(listener) + ", " + Handles.toString(connection) + ")", null);
    }

    @Override
    public void onAcceptError(int listener, IOException error) {
        throw unexpected("onAcceptError(" + Handles.toString(listener) + ", " + error + ")", error);
    }

    @Override
    public void onRead(int connection, ByteBuffer data) {
        throw unexpected("onRead(" + Handles.toString(connection) + ", " + data.remaining() + " bytes)", null);
    }

    @Override
    public void onEof(int connection) {
        throw unexpected("onEof(" + Handles.toString(connection) + ")", null);
    }

    @Override
    public void onWritten(int connection) {
        throw unexpected("onWritten(" + Handles.toString(connection) + ")", null);
    }

    @Override
    public void onError(int connection, IOException error) {
        throw unexpected("onError(" + Handles.toString(connection) + ", " + error + ")", error);
    }

    private AssertionError unexpected(String callback, Throwable cause) {
        return new AssertionError("unexpected callback " + callback + " to " + getClass().getName(), cause);
    }
}
