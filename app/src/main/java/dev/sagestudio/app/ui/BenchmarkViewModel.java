package dev.sagestudio.app.ui;

import dev.sagestudio.app.bench.BenchJob;
import dev.sagestudio.app.bench.BenchmarkResults;
import dev.sagestudio.app.bench.CpuAttentionBenchmark;
import dev.sagestudio.app.bench.DevicePeak;
import dev.sagestudio.app.bench.ReferenceResults;
import dev.sagestudio.app.bench.TopsSeries;
import dev.sagestudio.app.compare.BackendsHere;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executor;
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
 * The benchmark view: runs the attention microbenchmark on this machine (progress, cancellable) and plots TOPS
 * against sequence length per backend for the chosen head dim (64 or 128) and causal setting, with the device's
 * name and peak, next to the committed H100 results; plus the selected model's denoiser step time per backend.
 * Sessions save to JSON and load back.
 */
public final class BenchmarkViewModel {

    /** The head dims the plot offers. */
    public static final List<Integer> HEAD_DIMS = List.of(64, 128);

    private final BackgroundJob job;
    private final BenchmarkResults reference = ReferenceResults.h100();

    private final ObjectProperty<Path> model = new SimpleObjectProperty<>();
    private final IntegerProperty headDim = new SimpleIntegerProperty(128);
    private final BooleanProperty causal = new SimpleBooleanProperty(false);
    private final BooleanProperty showReference = new SimpleBooleanProperty(true);
    private final ReadOnlyObjectWrapper<BenchmarkResults> results = new ReadOnlyObjectWrapper<>();

    private final ReadOnlyStringWrapper device = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper referenceDevice = new ReadOnlyStringWrapper("");
    private final ReadOnlyObjectWrapper<TopsSeries> here = new ReadOnlyObjectWrapper<>();
    private final ReadOnlyObjectWrapper<TopsSeries> referencePlot = new ReadOnlyObjectWrapper<>();
    private final ObservableList<BenchmarkResults.StepBench> steps = FXCollections.observableArrayList();

    public BenchmarkViewModel(Executor background, Executor ui) {
        this.job = new BackgroundJob(background, ui, "");
        referenceDevice.set(describe(reference));
        headDim.addListener((o, was, now) -> replot());
        causal.addListener((o, was, now) -> replot());
        showReference.addListener((o, was, now) -> replot());
        replot();
    }

    /** Runs the microbenchmark (and the model's step times, if a model is picked) in the background. */
    public void run(CpuAttentionBenchmark.Plan plan) {
        BenchJob bench = new BenchJob(plan, model.get(), BackendsHere.all(), 0);
        job.start("Benchmark", (progress, cancelled) -> bench.run((done, total, what) ->
                progress.report(done / (double) total, "[" + done + "/" + total + "] " + what), cancelled), this::show);
    }

    public void cancel() {
        job.cancel();
    }

    /** Shows a session (measured here, or loaded). */
    public void show(BenchmarkResults value) {
        results.set(value);
        device.set(describe(value));
        steps.setAll(value.steps());
        replot();
        job.say("Showing " + value.kernels().size() + " microbenchmark points and " + value.steps().size()
                + " step times from " + value.date() + ".");
    }

    public void save(Path file) throws IOException {
        if (results.get() == null) {
            throw new IllegalStateException("nothing to save yet: run the benchmark or load a session");
        }
        results.get().save(file);
        job.say("Saved " + file + ".");
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

    public ObjectProperty<Path> modelProperty() {
        return model;
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

    public ObservableList<BenchmarkResults.StepBench> steps() {
        return steps;
    }
}
