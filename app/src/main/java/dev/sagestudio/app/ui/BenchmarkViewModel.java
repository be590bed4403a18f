package dev.sagestudio.app.ui;

import dev.sagestudio.app.bench.BenchPlan;
import dev.sagestudio.app.bench.BenchmarkService;
import dev.sagestudio.app.bench.BenchmarkResults;
import dev.sagestudio.app.bench.DevicePeak;
import dev.sagestudio.app.bench.RealShapeResults;
import dev.sagestudio.app.bench.ReferenceResults;
import dev.sagestudio.app.bench.TopsSeries;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/**
 * The benchmark view: runs the attention kernels on this machine through the {@link BenchmarkService} (the GPU
 * harness where a GPU backend runs, else the CPU backends, the plan saying why; progress, cancellable) and plots TOPS
 * against sequence length per backend for the chosen head dim (64 or 128) and causal setting, with the device's name
 * and peak, next to the committed H100 results; then, with a model picked, a whole generation of it per backend
 * (median denoiser step and total). Sessions save to JSON and load back. Below, the denoiser step times at real
 * shapes measured on a GPU and shipped with the build ({@link RealShapeResults}), per card.
 */
public final class BenchmarkViewModel {

    /** The head dims the plot offers. */
    public static final List<Integer> HEAD_DIMS = List.of(64, 128);

    /** Steps of each timed generation unless set: enough for a median, few enough for the CPU. */
    static final int DEFAULT_STEPS = 8;

    private final BenchmarkService service;
    private final BackgroundJob job;
    private final BenchmarkResults reference = ReferenceResults.h100();
    private final List<MeasuredSection> measured;
    private final String measuredProblem;

    private final ObjectProperty<Path> model = new SimpleObjectProperty<>();
    private final ObjectProperty<Integer> steps = new SimpleObjectProperty<>(DEFAULT_STEPS);
    private final IntegerProperty threads = new SimpleIntegerProperty(0);
    private final IntegerProperty headDim = new SimpleIntegerProperty(128);
    private final BooleanProperty causal = new SimpleBooleanProperty(false);
    private final BooleanProperty showReference = new SimpleBooleanProperty(true);
    private final ReadOnlyObjectWrapper<BenchmarkResults> results = new ReadOnlyObjectWrapper<>();

    private final ReadOnlyStringWrapper device = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper referenceDevice = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper notes = new ReadOnlyStringWrapper("");
    private final ReadOnlyObjectWrapper<TopsSeries> here = new ReadOnlyObjectWrapper<>();
    private final ReadOnlyObjectWrapper<TopsSeries> referencePlot = new ReadOnlyObjectWrapper<>();
    private final ObservableList<BenchmarkResults.EndToEnd> endToEnd = FXCollections.observableArrayList();
    private final ObservableList<BenchmarkResults.StepBench> firstSteps = FXCollections.observableArrayList();

    public BenchmarkViewModel(BenchmarkService service, Executor background, Executor ui) {
        this(service, background, ui, RealShapeResults::shipped);
    }

    /** As above, with the real-shape step times from {@code measured} instead of those this build ships. */
    BenchmarkViewModel(BenchmarkService service, Executor background, Executor ui,
                       Supplier<List<RealShapeResults.Table>> measured) {
        List<MeasuredSection> sections = List.of();
        String problem = "";
        try {
            sections = sections(measured.get());
        } catch (RuntimeException e) {
            problem = "The real-shape step times shipped with this build cannot be read: " + e.getMessage();
        }
        this.measured = sections;
        this.measuredProblem = problem;
        this.service = service;
        this.job = new BackgroundJob(background, ui, "");
        referenceDevice.set(describe(reference));
        headDim.addListener((o, was, now) -> replot());
        causal.addListener((o, was, now) -> replot());
        showReference.addListener((o, was, now) -> replot());
        replot();
    }

    /** What Run measures on this machine, in a sentence or two (on the GPU, or why not and the CPU instead). */
    public String plan() {
        return service.plan().describe();
    }

    /** Whether Run times the kernels on a GPU here. */
    public boolean runsOnGpu() {
        return service.plan().onGpu();
    }

    /** Runs the kernels (and the picked model end to end) in the background. */
    public void run() {
        BenchPlan plan = service.plan();
        BenchmarkService.Request request = new BenchmarkService.Request(model.get(), steps.get(), threads.get());
        job.start("Benchmark", (progress, cancelled) -> service.run(request, progress::report, cancelled), r -> {
            show(r);
            job.say("Measured " + r.kernels().size() + " kernel timings on " + (plan.onGpu() ? "the GPU" : "the CPU")
                    + (r.endToEnd().isEmpty() ? "" : " and " + r.endToEnd().size() + " generations") + ".");
        });
    }

    public void cancel() {
        job.cancel();
    }

    /** Shows a session (measured here, or loaded). */
    public void show(BenchmarkResults value) {
        results.set(value);
        device.set(describe(value));
        endToEnd.setAll(value.endToEnd());
        firstSteps.setAll(value.steps());
        notes.set(value.notes().isEmpty() ? "" : "Left out: " + String.join("; ", value.notes()));
        replot();
        job.say("Showing " + value.kernels().size() + " kernel timings, " + value.endToEnd().size()
                + " generations and " + value.steps().size() + " step times from " + value.date() + ".");
    }

    public void save(Path file) throws IOException {
        if (results.get() == null) {
            throw new IllegalStateException("nothing to save yet: run the benchmark or load a session");
        }
        results.get().save(file);
        job.say("Saved " + file + ".");
    }

    /** Puts {@code message} in the status line (e.g. why a picked model cannot be used). */
    public void say(String message) {
        job.say(message);
    }

    public void load(Path file) throws IOException {
        show(BenchmarkResults.load(file));
    }

    private void replot() {
        BenchmarkResults r = results.get();
        here.set(r == null ? null : TopsSeries.of(r, headDim.get(), causal.get()));
        referencePlot.set(showReference.get() ? TopsSeries.of(reference, headDim.get(), causal.get()) : null);
    }

    /** "NVIDIA H100 80GB HBM3 — peak 989 TOPS FP16, 1979 INT8 (datasheet, dense)", or the name and "peak not known". */
    static String describe(BenchmarkResults r) {
        DevicePeak p = r.peak();
        return r.device() + " — " + (p == null ? "peak not known"
                : String.format(Locale.ROOT, "peak %.0f TOPS FP16, %.0f INT8 (%s)", p.fp16Tops(), p.int8Tops(),
                p.source()));
    }

    /** The columns of a {@link MeasuredSection}'s rows. */
    public static final List<String> MEASURED_HEADINGS = List.of("model", "tokens", "backend", "median step",
            "attention share", "peak memory", "vs " + RealShapeResults.BASELINE);

    /**
     * The committed real-shape step times of one card in one file: "Measured on NVIDIA H100 80GB HBM3
     * (real-shapes-2026-12-06e.json)", what the file says of all its runs (e.g. "weights: random, fp16"), a row per graph and backend ({@link #MEASURED_HEADINGS}), and a line
     * per backend that failed, with why.
     */
    public record MeasuredSection(String title, List<String> about, List<List<String>> rows, List<String> failures) {
    }

    /** How the real-shape step times were taken, said under them. */
    public static final String MEASURED_CAPTION = "Denoiser graphs of the real architectures"
            + " (models/import/export_bench_graphs.py), one step timed by sagestudio step-time on the device path"
            + " (median, inputs in and outputs out included); " + RealShapeResults.PYTORCH + ": the same configuration"
            + " in PyTorch. Attention share: our kernels' part of the step. Peak memory: device memory in use above"
            + " what was in use before the backend's sessions opened. vs " + RealShapeResults.BASELINE + ": its step"
            + " time over the backend's, on the same card and graph. Shipped with this build from"
            + " models/bench/results/real-shapes-*.json.";

    /** The real-shape step times this build ships, one section per card, in the files' order; empty when none. */
    public List<MeasuredSection> measured() {
        return measured;
    }

    /** Why the shipped real-shape step times could not be shown, or empty. */
    public String measuredProblem() {
        return measuredProblem;
    }

    /**
     * One section per results file and card, the newest file (the last by name: the names start with their date)
     * first: a file is one series of runs, and what it says of them (its kernels, its graph rewrites) holds for its
     * tables only.
     */
    static List<MeasuredSection> sections(List<RealShapeResults.Table> tables) {
        Map<List<String>, List<RealShapeResults.Table>> bySeries = new LinkedHashMap<>();
        List<RealShapeResults.Table> newestFirst = new ArrayList<>(tables);
        newestFirst.sort(java.util.Comparator.comparing(RealShapeResults.Table::source).reversed());
        newestFirst.forEach(t -> bySeries.computeIfAbsent(List.of(t.device() == null ? "" : t.device(), t.source()),
                k -> new ArrayList<>()).add(t));
        List<MeasuredSection> sections = new ArrayList<>();
        bySeries.forEach((series, cardTables) -> {
            String card = series.get(0);
            List<List<String>> rows = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            for (RealShapeResults.Table t : cardTables) {
                Double baseline = t.baseline().map(RealShapeResults.Row::stepMs).orElse(null);
                String tokens = t.tokens() != null ? String.format(Locale.ROOT, "%,d", t.tokens())
                        : t.sample() != null ? "sample " + t.sample().replaceFirst("^\\S+ ", "") : "—";
                for (RealShapeResults.Row r : t.rows()) {
                    if (r.error() != null) {
                        failures.add(t.model() + ", " + r.backend() + " failed: " + brief(r.error()));
                    }
                    rows.add(List.of(t.model(), tokens, r.backend(),
                            r.error() != null ? "failed" : String.format(Locale.ROOT, "%.1f ms", r.stepMs()),
                            r.attentionShare() == null ? "—"
                                    : String.format(Locale.ROOT, "%.0f %%", 100 * r.attentionShare()),
                            r.peakDeviceBytes() == null ? "—"
                                    : String.format(Locale.ROOT, "%.1f GiB", r.peakDeviceBytes() / (double) (1L << 30)),
                            baseline == null || r.stepMs() == null ? "—"
                                    : String.format(Locale.ROOT, "%.2f×", baseline / r.stepMs())));
                }
            }
            List<String> about = cardTables.stream().flatMap(t -> t.about().stream()).distinct().toList();
            sections.add(new MeasuredSection(card.isEmpty() ? "Measured on a card the results file does not name ("
                    + series.get(1) + ")" : "Measured on " + card + " (" + series.get(1) + ")", about, rows, failures));
        });
        return sections;
    }

    /** An error in one line, at most 160 characters. */
    private static String brief(String error) {
        String line = error.strip().replace('\n', ' ');
        return line.length() <= 160 ? line : line.substring(0, 160) + "…";
    }

    public ObjectProperty<Path> modelProperty() {
        return model;
    }

    /** Steps of each timed generation; null takes the model's default. */
    public ObjectProperty<Integer> stepsProperty() {
        return steps;
    }

    public IntegerProperty threadsProperty() {
        return threads;
    }

    public IntegerProperty headDimProperty() {
        return headDim;
    }

    public BooleanProperty causalProperty() {
        return causal;
    }

    public BooleanProperty showReferenceProperty() {
        return showReference;
    }

    public ReadOnlyObjectProperty<BenchmarkResults> resultsProperty() {
        return results.getReadOnlyProperty();
    }

    public ReadOnlyBooleanProperty runningProperty() {
        return job.runningProperty();
    }

    public ReadOnlyDoubleProperty progressProperty() {
        return job.progressProperty();
    }

    public ReadOnlyStringProperty statusProperty() {
        return job.statusProperty();
    }

    /** This machine's (or the loaded session's) device and peak. */
    public ReadOnlyStringProperty deviceProperty() {
        return device.getReadOnlyProperty();
    }

    /** What the shown session left out and why (kernel points a backend does not take), or empty. */
    public ReadOnlyStringProperty notesProperty() {
        return notes.getReadOnlyProperty();
    }

    /** The device of the committed reference results, e.g. {@code NVIDIA H100 80GB HBM3}. */
    public String referenceName() {
        return reference.device();
    }

    public ReadOnlyStringProperty referenceDeviceProperty() {
        return referenceDevice.getReadOnlyProperty();
    }

    /** The shown session's TOPS lines for the chosen head dim and causal setting, or null before any. */
    public ReadOnlyObjectProperty<TopsSeries> hereProperty() {
        return here.getReadOnlyProperty();
    }

    /** The committed H100 results' lines for the same selection, or null when hidden. */
    public ReadOnlyObjectProperty<TopsSeries> referenceProperty() {
        return referencePlot.getReadOnlyProperty();
    }

    /** The shown session's whole generations, one per backend. */
    public ObservableList<BenchmarkResults.EndToEnd> endToEnd() {
        return endToEnd;
    }

    /** First-step medians of a loaded {@code bench --what step} session (the view itself times whole generations). */
    public ObservableList<BenchmarkResults.StepBench> firstSteps() {
        return firstSteps;
    }
}
