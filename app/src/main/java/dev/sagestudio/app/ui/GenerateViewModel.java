package dev.sagestudio.app.ui;

import dev.sagestudio.app.service.AppError;
import dev.sagestudio.app.service.BackendOption;
import dev.sagestudio.app.service.Cancellation;
import dev.sagestudio.app.service.Frames;
import dev.sagestudio.app.service.GeneratedResult;
import dev.sagestudio.app.service.GenerationCancelledException;
import dev.sagestudio.app.service.GenerationService;
import dev.sagestudio.app.service.GenerationSpec;
import dev.sagestudio.app.service.HistoryEntry;
import dev.sagestudio.app.service.ModelInfo;
import dev.sagestudio.app.service.RunReport;
import dev.sagestudio.app.service.Settings;
import dev.sagestudio.app.service.StepProgress;
import dev.sagestudio.app.ui.task.TaskExecutor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.LongProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleLongProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/**
 * The Generate view: the form (prompt, model, backend, seed, steps, guidance, sampler), the queue of jobs waiting,
 * the running job's progress and live preview, and the last result with what ran. Jobs run one at a time through the
 * {@link TaskExecutor}, never on the UI thread; every result is saved to the history.
 */
public final class GenerateViewModel {
    private final GenerationService service;
    private final TaskExecutor tasks;
    private final MessagesViewModel messages;
    private final SettingsViewModel settings;
    private final HistoryViewModel history;
    private final LongSupplier randomSeeds;

    private final StringProperty prompt = new SimpleStringProperty("");
    private final StringProperty negativePrompt = new SimpleStringProperty("");
    private final ObservableList<String> recentPrompts = FXCollections.observableArrayList();
    private final ObservableList<ModelInfo> models = FXCollections.observableArrayList();
    private final ObjectProperty<ModelInfo> model = new SimpleObjectProperty<>();
    private final ReadOnlyStringWrapper modelShape = new ReadOnlyStringWrapper("");
    private final ObservableList<BackendOption> backends = FXCollections.observableArrayList();
    private final ObjectProperty<BackendOption> backend = new SimpleObjectProperty<>();
    private final ReadOnlyStringWrapper backendAvailability = new ReadOnlyStringWrapper("");
    private final ObjectProperty<SeedMode> seedMode = new SimpleObjectProperty<>(SeedMode.RANDOM);
    private final LongProperty seed = new SimpleLongProperty(0);
    private final IntegerProperty steps = new SimpleIntegerProperty(20);
    private final DoubleProperty guidance = new SimpleDoubleProperty(3.0);
    private final ObservableList<String> samplers = FXCollections.observableArrayList();
    private final StringProperty sampler = new SimpleStringProperty("");

    private final ObservableList<QueuedJob> queue = FXCollections.observableArrayList();
    private final BooleanProperty running = new SimpleBooleanProperty();
    private final BooleanProperty cancelling = new SimpleBooleanProperty();
    private final DoubleProperty progress = new SimpleDoubleProperty();
    private final ReadOnlyStringWrapper stepText = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper speedText = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper status = new ReadOnlyStringWrapper("Ready");
    private final ObjectProperty<Frames> shownFrames = new SimpleObjectProperty<>();
    private final ObjectProperty<GeneratedResult> result = new SimpleObjectProperty<>();
    private final ObjectProperty<RunReport> report = new SimpleObjectProperty<>();

    private int jobsAdded;
    private Long lastSeed;
    private Cancellation currentCancellation;
    private QueuedJob currentJob;

    public GenerateViewModel(GenerationService service, TaskExecutor tasks, MessagesViewModel messages,
                             SettingsViewModel settings, HistoryViewModel history) {
        this(service, tasks, messages, settings, history, () -> ThreadLocalRandom.current().nextLong(0, 1L << 32));
    }

    /** As the public constructor, with the random seeds given (tests). */
    GenerateViewModel(GenerationService service, TaskExecutor tasks, MessagesViewModel messages,
                      SettingsViewModel settings, HistoryViewModel history, LongSupplier randomSeeds) {
        this.service = service;
        this.tasks = tasks;
        this.messages = messages;
        this.settings = settings;
        this.history = history;
        this.randomSeeds = randomSeeds;
        model.addListener((obs, old, m) -> modelChanged(m));
        backend.addListener((obs, old, b) -> backendAvailability.set(b == null ? "" : b.availabilityText()));
        history.setReloadTarget(this::reload);
        recentPrompts.setAll(settings.current().get().recentPrompts());
    }

    /** Lists the models and backends (slow: reads bundles and probes the GPU), in the background. */
    public void load() {
        List<Path> folders = settings.current().get().modelFolders();
        tasks.execute(() -> new Catalog(service.models(folders), service.backends()), catalog -> {
            models.setAll(catalog.models());
            backends.setAll(catalog.backends());
            String wanted = settings.current().get().defaultModel();
            model.set(catalog.models().stream().filter(m -> m.name().equals(wanted)).findFirst()
                    .orElse(catalog.models().isEmpty() ? null : catalog.models().get(0)));
            backend.set(catalog.backends().stream().filter(BackendOption::available).findFirst().orElse(null));
            if (catalog.models().isEmpty()) {
                messages.show(AppError.notice("No models found", "no bundled model was found and no model folder is"
                        + " added", "Add a model folder (a folder with model.json) with the + button next to the"
                        + " model picker."));
            }
        }, messages::showFailure);
    }

    private record Catalog(List<ModelInfo> models, List<BackendOption> backends) {
    }

    private void modelChanged(ModelInfo m) {
        if (m == null) {
            modelShape.set("");
            return;
        }
        modelShape.set(m.shapeText() + " (fixed by this model)");
        steps.set(m.defaultSteps());
        guidance.set(m.defaultGuidance());
        samplers.setAll(m.samplers());
        sampler.set(m.defaultSampler());
    }

    /** Adds a model folder the user chose; a folder that is not a bundle is reported and not added. */
    public void addModelFolder(Path folder) {
        tasks.execute(() -> service.inspect(folder), info -> {
            settings.update(s -> s.withModelFolder(folder));
            models.removeIf(m -> m.folder().equals(info.folder()));
            models.add(info);
            model.set(info);
        }, messages::showFailure);
    }

    /**
     * The form as a request. The seed: a new random one (shown in the form), the fixed one, or the last run's.
     *
     * @throws IllegalArgumentException naming what is missing or wrong
     */
    public GenerationSpec toSpec() {
        ModelInfo m = model.get();
        if (m == null) {
            throw new IllegalArgumentException("no model is chosen");
        }
        BackendOption b = backend.get();
        if (b == null) {
            throw new IllegalArgumentException("no attention backend is chosen");
        }
        if (!b.available()) {
            throw new IllegalArgumentException(b.availabilityText());
        }
        long runSeed = switch (seedMode.get()) {
            case RANDOM -> randomSeeds.getAsLong();
            case FIXED -> seed.get();
            case REUSE_LAST -> lastSeed != null ? lastSeed : seed.get();
        };
        seed.set(runSeed);
        Settings s = settings.current().get();
        return new GenerationSpec(m.folder(), b.name(), prompt.get() == null ? "" : prompt.get().strip(),
                negativePrompt.get(), runSeed, steps.get(), guidance.get(), sampler.get(), s.previewEvery(),
                s.threads());
    }

    /** Queues a job from the form (shown in-window if the form is incomplete) and starts it when nothing runs. */
    public void generate() {
        GenerationSpec spec;
        try {
            spec = toSpec();
        } catch (IllegalArgumentException e) {
            messages.showFailure(e);
            return;
        }
        lastSeed = spec.seed();
        settings.update(s -> s.withRecentPrompt(spec.prompt()));
        recentPrompts.setAll(settings.current().get().recentPrompts());
        queue.add(new QueuedJob(++jobsAdded, spec, model.get().name()));
        startNextIfIdle();
    }

    private void startNextIfIdle() {
        if (running.get() || queue.isEmpty()) {
            return;
        }
        QueuedJob job = queue.remove(0);
        currentJob = job;
        Cancellation cancel = new Cancellation();
        currentCancellation = cancel;
        running.set(true);
        cancelling.set(false);
        progress.set(0);
        report.set(null);
        stepText.set("Starting: opening the model…");
        speedText.set("");
        status.set("Running job #" + job.number());
        tasks.execute(() -> {
            GeneratedResult made = service.generate(job.spec(), p -> tasks.onUiThread(() -> showProgress(job, p)),
                    cancel);
            HistoryEntry saved = history.store(made);
            return new Finished(made, saved);
        }, finished -> {
            result.set(finished.result());
            report.set(finished.result().report());
            shownFrames.set(finished.result().frames());
            history.added(finished.saved(), finished.result().frames());
            status.set(String.format(Locale.ROOT, "Done: job #%d in %.2f s, saved as %s", job.number(),
                    finished.result().report().totalSeconds(), finished.saved().file()));
            jobEnded();
        }, failure -> {
            if (failure instanceof GenerationCancelledException) {
                status.set("Job #" + job.number() + " " + failure.getMessage());
                stepText.set("Cancelled");
            } else {
                status.set("Job #" + job.number() + " failed");
                stepText.set("");
            }
            messages.showFailure(failure);
            jobEnded();
        });
    }

    private record Finished(GeneratedResult result, HistoryEntry saved) {
    }

    private void showProgress(QueuedJob job, StepProgress p) {
        if (job != currentJob) {
            return;
        }
        progress.set(p.fraction());
        stepText.set("Step " + p.step() + " / " + p.steps());
        speedText.set(String.format(Locale.ROOT, "%.2f s/step · ETA %.0f s", p.secondsPerStep(), p.etaSeconds()));
        p.preview().ifPresent(shownFrames::set);
    }

    private void jobEnded() {
        running.set(false);
        cancelling.set(false);
        currentCancellation = null;
        currentJob = null;
        startNextIfIdle();
    }

    /** Stops the running job within one step; the queue then goes on with the next job. */
    public void cancel() {
        if (currentCancellation != null && !cancelling.get()) {
            cancelling.set(true);
            status.set("Cancelling job #" + currentJob.number() + "…");
            currentCancellation.cancel();
        }
    }

    public void removeJob(QueuedJob job) {
        queue.remove(job);
    }

    /** Moves a waiting job one place earlier ({@code -1}) or later ({@code +1}). */
    public void moveJob(QueuedJob job, int direction) {
        int from = queue.indexOf(job);
        int to = from + Integer.signum(direction);
        if (from >= 0 && to >= 0 && to < queue.size()) {
            queue.remove(from);
            queue.add(to, job);
        }
    }

    /**
     * Puts saved settings back into the form (from a history entry or a PNG's text chunks): prompt, negative prompt,
     * seed (fixed), steps, guidance, sampler, and the model and backend when this machine has them. Says in-window
     * what could not be restored.
     */
    public void reload(Map<String, String> parameters) {
        List<String> notRestored = new ArrayList<>();
        String modelName = parameters.get("model");
        if (modelName != null) {
            Optional<ModelInfo> found = models.stream().filter(m -> m.name().equals(modelName)).findFirst();
            found.ifPresentOrElse(model::set, () -> notRestored.add("model '" + modelName + "' is not installed"
                    + " here (add its folder with +)"));
        }
        // after the model, whose defaults it overrides
        prompt.set(parameters.getOrDefault("prompt", ""));
        negativePrompt.set(parameters.getOrDefault("negative_prompt", ""));
        parseNumber(parameters, "seed", notRestored).ifPresent(v -> {
            seed.set(v.longValue());
            seedMode.set(SeedMode.FIXED);
        });
        parseNumber(parameters, "steps", notRestored).ifPresent(v -> steps.set(v.intValue()));
        parseNumber(parameters, "guidance_scale", notRestored).ifPresent(v -> guidance.set(v.doubleValue()));
        String savedSampler = parameters.get("scheduler");
        if (savedSampler != null) {
            if (samplers.contains(savedSampler)) {
                sampler.set(savedSampler);
            } else {
                notRestored.add("sampler '" + savedSampler + "' does not fit the chosen model");
            }
        }
        String requested = parameters.get("attention_requested");
        if (requested != null) {
            Optional<BackendOption> b = backends.stream().filter(o -> o.name().equals(requested)).findFirst();
            if (b.isPresent() && b.get().available()) {
                backend.set(b.get());
            } else {
                notRestored.add("backend '" + requested + "' "
                        + b.map(o -> "cannot run here: " + o.unavailableReason().orElse(""))
                                .orElse("is not known to this version"));
            }
        }
        status.set("Settings reloaded" + (notRestored.isEmpty() ? "" : " (some not restored)"));
        if (!notRestored.isEmpty()) {
            messages.show(AppError.notice("Some settings were not restored", String.join("; ", notRestored),
                    "The form keeps its current value for those; choose them by hand."));
        }
    }

    private static Optional<Double> parseNumber(Map<String, String> parameters, String key, List<String> problems) {
        String text = parameters.get(key);
        if (text == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Double.valueOf(text));
        } catch (NumberFormatException e) {
            problems.add(key + " '" + text + "' is not a number");
            return Optional.empty();
        }
    }

    /** The "what ran" summary line: execution provider, times, copies per step. */
    public static String summary(RunReport r) {
        return String.format(Locale.ROOT, "ONNX Runtime on %s · total %.2f s · %.0f ms/step (median) · %.1f copies/step",
                r.executionProvider(), r.totalSeconds(), r.medianStepSeconds() * 1000, r.copiesPerStep());
    }

    public StringProperty promptProperty() {
        return prompt;
    }

    public StringProperty negativePromptProperty() {
        return negativePrompt;
    }

    public ObservableList<String> recentPrompts() {
        return recentPrompts;
    }

    public ObservableList<ModelInfo> models() {
        return models;
    }

    public ObjectProperty<ModelInfo> modelProperty() {
        return model;
    }

    public ReadOnlyStringProperty modelShapeProperty() {
        return modelShape.getReadOnlyProperty();
    }

    public ObservableList<BackendOption> backends() {
        return backends;
    }

    public ObjectProperty<BackendOption> backendProperty() {
        return backend;
    }

    public ReadOnlyStringProperty backendAvailabilityProperty() {
        return backendAvailability.getReadOnlyProperty();
    }

    public ObjectProperty<SeedMode> seedModeProperty() {
        return seedMode;
    }

    public LongProperty seedProperty() {
        return seed;
    }

    public IntegerProperty stepsProperty() {
        return steps;
    }

    public DoubleProperty guidanceProperty() {
        return guidance;
    }

    public ObservableList<String> samplers() {
        return samplers;
    }

    public StringProperty samplerProperty() {
        return sampler;
    }

    public ObservableList<QueuedJob> queue() {
        return queue;
    }

    public BooleanProperty runningProperty() {
        return running;
    }

    public BooleanProperty cancellingProperty() {
        return cancelling;
    }

    public DoubleProperty progressProperty() {
        return progress;
    }

    public ReadOnlyStringProperty stepTextProperty() {
        return stepText.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty speedTextProperty() {
        return speedText.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty statusProperty() {
        return status.getReadOnlyProperty();
    }

    public ObjectProperty<Frames> shownFramesProperty() {
        return shownFrames;
    }

    public ObjectProperty<GeneratedResult> resultProperty() {
        return result;
    }

    public ObjectProperty<RunReport> reportProperty() {
        return report;
    }
}
