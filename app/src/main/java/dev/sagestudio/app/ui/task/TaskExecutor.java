package dev.sagestudio.app.ui.task;

import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * Runs work off the UI thread and hands its outcome back on the UI thread. The ViewModels do all their slow work
 * through one of these, so tests replace it with one that runs everything on the calling thread.
 */
public interface TaskExecutor {

    /** Runs {@code work} in the background, then {@code onSuccess} or {@code onFailure} on the UI thread. */
    <T> void execute(Callable<T> work, Consumer<T> onSuccess, Consumer<Throwable> onFailure);

    /** Runs {@code action} on the UI thread (e.g. progress reported from background work). */
    void onUiThread(Runnable action);
}
