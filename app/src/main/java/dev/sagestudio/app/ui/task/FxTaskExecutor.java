package dev.sagestudio.app.ui.task;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import javafx.application.Platform;

/** Background work on daemon threads, outcomes on the JavaFX application thread. */
public final class FxTaskExecutor implements TaskExecutor, AutoCloseable {
    private final AtomicInteger threads = new AtomicInteger();
    private final ExecutorService pool = Executors.newCachedThreadPool(work -> {
        Thread t = new Thread(work, "sagestudio-worker-" + threads.incrementAndGet());
        t.setDaemon(true);
        return t;
    });

    @Override
    public <T> void execute(Callable<T> work, Consumer<T> onSuccess, Consumer<Throwable> onFailure) {
        pool.execute(() -> {
            T value;
            try {
                value = work.call();
            } catch (Throwable failure) { // out of memory too: the window must say so, not die silently
                Platform.runLater(() -> onFailure.accept(failure));
                return;
            }
            Platform.runLater(() -> onSuccess.accept(value));
        });
    }

    @Override
    public void onUiThread(Runnable action) {
        if (Platform.isFxApplicationThread()) {
            action.run();
        } else {
            Platform.runLater(action);
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
