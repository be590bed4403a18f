package dev.sagestudio.app.ui;

import dev.sagestudio.app.ui.task.TaskExecutor;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/** Runs work and its outcome at once on the calling thread (ViewModel tests). */
final class SameThreadTaskExecutor implements TaskExecutor {
    @Override
    public <T> void execute(Callable<T> work, Consumer<T> onSuccess, Consumer<Throwable> onFailure) {
        T value;
        try {
            value = work.call();
        } catch (Throwable e) {
            onFailure.accept(e);
            return;
        }
        onSuccess.accept(value);
    }

    @Override
    public void onUiThread(Runnable action) {
        action.run();
    }
}
