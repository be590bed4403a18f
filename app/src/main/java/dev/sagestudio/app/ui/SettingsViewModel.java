package dev.sagestudio.app.ui;

import dev.sagestudio.app.service.AppError;
import dev.sagestudio.app.service.Settings;
import dev.sagestudio.app.service.SettingsService;
import dev.sagestudio.app.ui.task.TaskExecutor;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;

/**
 * The Settings view's form and the settings in force ({@link #current()}), which the other ViewModels read. Every
 * change is saved at once (atomically, in the background).
 */
public final class SettingsViewModel {
    private final SettingsService service;
    private final TaskExecutor tasks;
    private final MessagesViewModel messages;
    private final ObjectProperty<Settings> current = new SimpleObjectProperty<>();

    private final StringProperty outputFolder = new SimpleStringProperty("");
    private final StringProperty defaultModel = new SimpleStringProperty("");
    private final IntegerProperty threads = new SimpleIntegerProperty();
    private final IntegerProperty previewEvery = new SimpleIntegerProperty();
    private final BooleanProperty darkTheme = new SimpleBooleanProperty();

    public SettingsViewModel(SettingsService service, TaskExecutor tasks, MessagesViewModel messages) {
        this.service = service;
        this.tasks = tasks;
        this.messages = messages;
        SettingsService.Loaded loaded = service.load();
        loaded.message().ifPresent(m -> messages.show(AppError.notice("Settings reset", m,
                "Check the settings and change one to save them again.")));
        current.set(loaded.settings());
        fillForm(loaded.settings());
    }

    private void fillForm(Settings s) {
        outputFolder.set(s.outputFolder().toString());
        defaultModel.set(s.defaultModel());
        threads.set(s.threads());
        previewEvery.set(s.previewEvery());
        darkTheme.set(s.darkTheme());
    }

    /** Applies the form: validates it, makes it current and saves it. */
    public void apply() {
        String folder = outputFolder.get() == null ? "" : outputFolder.get().strip();
        if (folder.isEmpty()) {
            messages.show(AppError.notice("Invalid settings", "the output folder is empty",
                    "Choose the folder results are saved in."));
            return;
        }
        Settings s = current.get();
        update(old -> new Settings(Path.of(folder), defaultModel.get(), Math.max(0, threads.get()),
                Math.max(0, previewEvery.get()), darkTheme.get(), s.modelFolders(), s.recentPrompts()));
    }

    /** Changes the current settings and saves them. */
    public void update(UnaryOperator<Settings> change) {
        Settings next = change.apply(current.get());
        current.set(next);
        fillForm(next);
        tasks.execute(() -> {
            service.save(next);
            return next;
        }, saved -> { }, messages::showFailure);
    }

    public ObjectProperty<Settings> current() {
        return current;
    }

    public Path settingsFile() {
        return service.file();
    }

    public StringProperty outputFolderProperty() {
        return outputFolder;
    }

    public StringProperty defaultModelProperty() {
        return defaultModel;
    }

    public IntegerProperty threadsProperty() {
        return threads;
    }

    public IntegerProperty previewEveryProperty() {
        return previewEvery;
    }

    public BooleanProperty darkThemeProperty() {
        return darkTheme;
    }
}
