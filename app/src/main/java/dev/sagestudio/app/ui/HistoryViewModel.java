package dev.sagestudio.app.ui;

import dev.sagestudio.app.service.AppError;
import dev.sagestudio.app.service.FileReveal;
import dev.sagestudio.app.service.Frames;
import dev.sagestudio.app.service.GeneratedResult;
import dev.sagestudio.app.service.HistoryEntry;
import dev.sagestudio.app.service.HistoryService;
import dev.sagestudio.app.ui.task.TaskExecutor;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleObjectProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/**
 * The history: every saved result (newest first), the selected one with its parameters, and what can be done with
 * it (reload its settings into the form, delete, reveal, export). Also reloads settings from any PNG dropped on the
 * window.
 */
public final class HistoryViewModel {
    private final Function<Path, HistoryService> services;
    private final TaskExecutor tasks;
    private final MessagesViewModel messages;
    private final FileReveal reveal;
    private final ObservableList<HistoryEntry> entries = FXCollections.observableArrayList();
    private final ObjectProperty<HistoryEntry> selected = new SimpleObjectProperty<>();
    private final ObjectProperty<Frames> selectedFrames = new SimpleObjectProperty<>();
    private final ReadOnlyStringWrapper selectedParameters = new ReadOnlyStringWrapper("");
    private final Map<String, Frames> framesCache = new HashMap<>();
    private HistoryService service;
    private Consumer<Map<String, String>> reloadTarget = parameters -> { };

    /**
     * @param services the history of an output folder (a new one whenever the folder changes)
     * @param reveal opens a file's folder in the desktop's file manager
     */
    public HistoryViewModel(Function<Path, HistoryService> services, Path folder, TaskExecutor tasks,
                            MessagesViewModel messages, FileReveal reveal) {
        this.services = services;
        this.tasks = tasks;
        this.messages = messages;
        this.reveal = reveal;
        this.service = services.apply(folder);
        selected.addListener((obs, old, entry) -> showSelected(entry));
    }

    /** Where {@link #reloadSelected()} and dropped PNGs put their settings (the Generate form). */
    public void setReloadTarget(Consumer<Map<String, String>> target) {
        this.reloadTarget = Objects.requireNonNull(target);
    }

    /** Reads the folder's index in the background; a rebuilt index is reported in the window. */
    public void load() {
        HistoryService current = service;
        tasks.execute(current::load, loaded -> {
            if (current != service) {
                return;
            }
            framesCache.clear();
            entries.setAll(loaded.entries());
            loaded.message().ifPresent(m -> messages.show(AppError.notice("History index rebuilt", m,
                    "Nothing to do: the results are all listed again.")));
        }, messages::showFailure);
    }

    /** Shows the history of another output folder. */
    public void useFolder(Path folder) {
        if (!folder.equals(service.folder())) {
            service = services.apply(folder);
            selected.set(null);
            entries.clear();
            load();
        }
    }

    public Path folder() {
        return service.folder();
    }

    /** Saves a finished result; called on the worker that made it, so no UI state is touched here. */
    public synchronized HistoryEntry store(GeneratedResult result) throws IOException {
        return service.save(result, Instant.now());
    }

    /** Lists a just-saved entry first (UI thread). */
    public void added(HistoryEntry entry, Frames frames) {
        framesCache.put(entry.file(), frames);
        entries.add(0, entry);
    }

    /** The frames of {@code entry}, loaded in the background once and then kept. */
    public void framesOf(HistoryEntry entry, Consumer<Frames> then) {
        Frames cached = framesCache.get(entry.file());
        if (cached != null) {
            then.accept(cached);
            return;
        }
        HistoryService current = service;
        tasks.execute(() -> current.frames(entry), frames -> {
            framesCache.put(entry.file(), frames);
            then.accept(frames);
        }, messages::showFailure);
    }

    private void showSelected(HistoryEntry entry) {
        selectedFrames.set(null);
        if (entry == null) {
            selectedParameters.set("");
            return;
        }
        StringBuilder text = new StringBuilder();
        new TreeMap<>(entry.parameters()).forEach((k, v) -> text.append(k).append(": ").append(v).append('\n'));
        text.append("file: ").append(service.fileOf(entry));
        selectedParameters.set(text.toString());
        framesOf(entry, frames -> {
            if (entry.equals(selected.get())) {
                selectedFrames.set(frames);
            }
        });
    }

    /** Puts the selected result's settings back into the form. */
    public void reloadSelected() {
        HistoryEntry entry = selected.get();
        if (entry != null) {
            reloadTarget.accept(entry.parameters());
        }
    }

    /** Reads the parameters of a PNG (dropped on the window) and puts them into the form. */
    public void reloadFromFile(Path png) {
        tasks.execute(() -> HistoryService.parametersOf(png), parameters -> {
            if (!parameters.containsKey("prompt")) {
                messages.show(AppError.notice("No settings in this file", png + " carries no generation parameters"
                        + " (no 'prompt' text chunk)", "Drop a PNG that SageStudio (or a tool writing the same text"
                        + " chunks) saved."));
                return;
            }
            reloadTarget.accept(parameters);
        }, messages::showFailure);
    }

    public void deleteSelected() {
        HistoryEntry entry = selected.get();
        if (entry == null) {
            return;
        }
        HistoryService current = service;
        tasks.execute(() -> {
            current.delete(entry);
            return entry;
        }, deleted -> {
            entries.remove(deleted);
            framesCache.remove(deleted.file());
            selected.set(null);
        }, messages::showFailure);
    }

    public void revealSelected() {
        HistoryEntry entry = selected.get();
        if (entry != null) {
            Path file = service.fileOf(entry);
            tasks.execute(() -> {
                reveal.reveal(file);
                return file;
            }, done -> { }, messages::showFailure);
        }
    }

    /** Writes the selected result to {@code target} in the format its extension names. */
    public void exportSelected(Path target, Runnable then) {
        HistoryEntry entry = selected.get();
        if (entry != null) {
            HistoryService current = service;
            tasks.execute(() -> {
                current.export(entry, target);
                return target;
            }, done -> then.run(), messages::showFailure);
        }
    }

    public ObservableList<HistoryEntry> entries() {
        return entries;
    }

    public ObjectProperty<HistoryEntry> selectedProperty() {
        return selected;
    }

    public ObjectProperty<Frames> selectedFramesProperty() {
        return selectedFrames;
    }

    public ReadOnlyStringProperty selectedParametersProperty() {
        return selectedParameters.getReadOnlyProperty();
    }
}
