package dev.oneloop.backend.internal;

import dev.oneloop.backend.Handles;

/**
 * What every backend keeps of one handle, whatever else it keeps: the handle itself and whether it
 * was closed. {@link AbstractBackend} sets {@link #closed} when the application closes the handle,
 * before the backend's own {@code closeEndpoint} runs; a late event or completion for a closed
 * handle is then dropped. Loop thread only.
 */
public abstract class HandleState {

    /** The handle naming this state, {@link Handles#NONE} until it is in the table. */
    public int handle = Handles.NONE;
    /** Set once the handle is closed: nothing more is delivered for it. */
    public boolean closed;
}
