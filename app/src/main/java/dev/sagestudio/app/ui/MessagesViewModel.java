package dev.sagestudio.app.ui;

import dev.sagestudio.app.service.AppError;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/** The in-window messages: the latest one is shown in the banner; all of them are kept for the session. */
public final class MessagesViewModel {
    private final ObservableList<AppError> all = FXCollections.observableArrayList();
    private final ObjectProperty<AppError> shown = new SimpleObjectProperty<>();

    public void show(AppError message) {
        all.add(message);
        shown.set(message);
    }

    public void showFailure(Throwable failure) {
        show(AppError.of(failure));
    }

    public void dismiss() {
        shown.set(null);
    }

    public ObjectProperty<AppError> shownProperty() {
        return shown;
    }

    public ObservableList<AppError> all() {
        return all;
    }
}
