package dev.sagestudio.app.ui;

import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyDoubleWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;

/**
 * One long job of a view at a time (a comparison, a sweep, a benchmark): runs it on {@code background}, applies its
 * progress and outcome on {@code ui}, and lets it be cancelled. Its running flag, progress (0..1) and status line
 * are the view's.
 */
final class BackgroundJob {

    /** The work: reports progress (from any thread) and polls {@code cancelled}. */
    @FunctionalInterface
    interface Work<T> {
        T run(Progress progress, BooleanSupplier cancelled) throws IOException;
    }

    /** Progress as a fraction done and a line saying what is running. */
    @FunctionalInterface
    interface Progress {
        void report(double fraction, String text);
    }

    private final Executor background;
    private final Executor ui;
    private final ReadOnlyBooleanWrapper running = new ReadOnlyBooleanWrapper();
    private final ReadOnlyDoubleWrapper progress = new ReadOnlyDoubleWrapper();
    private final ReadOnlyStringWrapper status;
    private volatile AtomicBoolean cancelFlag = new AtomicBoolean();

    BackgroundJob(Executor background, Executor ui, String initialStatus) {
        this.background = background;
        this.ui = ui;
        this.status = new ReadOnlyStringWrapper(initialStatus);
    }

    /** Starts {@code work} unless a job is running; {@code what} names it in the failure message. */
    <T> void start(String what, Work<T> work, Consumer<T> onDone) {
        if (running.get()) {
            return;
        }
        AtomicBoolean cancel = new AtomicBoolean();
        cancelFlag = cancel;
        running.set(true);
        progress.set(0);
        background.execute(() -> {
            try {
                T result = work.run((fraction, text) -> ui.execute(() -> {
                    progress.set(fraction);
                    status.set(text);
                }), cancel::get);
                ui.execute(() -> {
                    running.set(false);
                    progress.set(1);
                    onDone.accept(result);
                });
            } catch (RuntimeException | IOException e) {
                ui.execute(() -> {
                    running.set(false);
                    status.set(cancel.get() ? "Cancelled." : what + " failed: " + e.getMessage());
                });
            }
        });
    }

    /** Asks the running job to stop at its next check. */
    void cancel() {
        cancelFlag.set(true);
    }

    void say(String text) {
        status.set(text);
    }

    ReadOnlyBooleanProperty runningProperty() {
        return running.getReadOnlyProperty();
    }

    ReadOnlyDoubleProperty progressProperty() {
        return progress.getReadOnlyProperty();
    }

    ReadOnlyStringProperty statusProperty() {
        return status.getReadOnlyProperty();
    }
}
