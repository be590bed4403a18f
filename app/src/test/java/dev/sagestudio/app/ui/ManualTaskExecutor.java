package dev.sagestudio.app.ui;

import dev.sagestudio.app.ui.task.TaskExecutor;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/** Holds background work until the test runs it, on the test's thread: for states while a job is in flight. */
final class ManualTaskExecutor implements TaskExecutor {
    private final Deque<Runnable> pending = new ArrayDeque<>();

    @Override
    public <T> void execute(Callable<T> work, Consumer<T> onSuccess, Consumer<Throwable> onFailure) {
        pending.add(() -> new SameThreadTaskExecutor().execute(work, onSuccess, onFailure));
    }

    @Override
    public void onUiThread(Runnable action) {
        action.run();
    }

    /** Runs the oldest waiting piece of work (and its outcome). */
    void runNext() {
        if (pending.isEmpty()) {
            throw new IllegalStateException("no work is waiting");
        }
        pending.removeFirst().run();
    }

    void runAll() {
        while (!pending.isEmpty()) {
            runNext();
        }
    }

    int waiting() {
        return pending.size();
    }
}
