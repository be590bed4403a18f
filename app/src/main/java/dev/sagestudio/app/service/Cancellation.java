package dev.sagestudio.app.service;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Asks a running generation to stop; thread-safe. The service links it to the pipeline's own token. */
public final class Cancellation {
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean cancelled;

    public void cancel() {
        cancelled = true;
        listeners.forEach(Runnable::run);
    }

    public boolean isCancelled() {
        return cancelled;
    }

    /** Runs {@code action} on cancellation (at once if already cancelled). */
    public void onCancel(Runnable action) {
        listeners.add(action);
        if (cancelled) {
            action.run();
        }
    }
}
