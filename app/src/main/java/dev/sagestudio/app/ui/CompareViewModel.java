package dev.sagestudio.app.ui;

import dev.sagestudio.app.compare.ArgbImage;
import dev.sagestudio.app.compare.BackendsHere;
import dev.sagestudio.app.compare.ColourScale;
import dev.sagestudio.app.compare.CompareCharts;
import dev.sagestudio.app.compare.CompareJob;
import dev.sagestudio.app.compare.CompareNumbers;
import dev.sagestudio.app.compare.CompareOutcome;
import dev.sagestudio.app.compare.CompareText;
import dev.sagestudio.app.compare.DifferenceHeatmap;
import dev.sagestudio.app.compare.LayerAccuracy;
import dev.sagestudio.app.compare.SvgCharts;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executor;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/**
 * The compare view: one prompt and seed through two backends (A, then B), then the outputs side by side, as a wipe,
 * flickering, or as an amplified difference (arrow keys step through the modes), zoom and pan shared by every pane,
 * a frame scrubber for video, the metrics (whole output and current frame), the timing split with the speed-ups, and
 * per-layer attention accuracy with the worst layer. Work runs on {@code background}; results and progress are
 * applied on {@code ui} (tests pass the calling thread for both).
 */
public final class CompareViewModel {

    /** How the two outputs are shown. */
    public enum Mode {
        SIDE_BY_SIDE("Side by side"), WIPE("Wipe"), FLICKER("Flicker"), DIFFERENCE("Difference");

        private final String label;

        Mode(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** One row of the timing table and bar chart, in milliseconds; NaN where not measured. */
    public record TimingRow(String label, double aMs, double bMs) {
        public String ratioText() {
            return aMs > 0 && bMs > 0 ? CompareText.ratio(aMs / bMs) : "–";
        }
    }

    private final BackgroundJob job;

    private final ObjectProperty<Path> model = new SimpleObjectProperty<>();
    private final StringProperty prompt = new SimpleStringProperty("");
    private final ObjectProperty<Long> seed = new SimpleObjectProperty<>(7L);
    private final ObjectProperty<Integer> steps = new SimpleObjectProperty<>();
    private final StringProperty backendA = new SimpleStringProperty();
    private final StringProperty backendB = new SimpleStringProperty();
    private final IntegerProperty threads = new SimpleIntegerProperty(0);

    private CompareJob.Done done;

    private final ReadOnlyObjectWrapper<CompareOutcome> outcome = new ReadOnlyObjectWrapper<>();
    private final ObjectProperty<Mode> mode = new SimpleObjectProperty<>(Mode.SIDE_BY_SIDE);
    private final DoubleProperty wipePosition = new SimpleDoubleProperty(0.5);
    private final DoubleProperty flickerHz = new SimpleDoubleProperty(2);
    private final ReadOnlyBooleanWrapper flickerShowsA = new ReadOnlyBooleanWrapper(true);
    private final DoubleProperty gain = new SimpleDoubleProperty(1);
    private final IntegerProperty frame = new SimpleIntegerProperty(0);
    private final DoubleProperty zoom = new SimpleDoubleProperty(1);
    private final DoubleProperty panX = new SimpleDoubleProperty(0);
    private final DoubleProperty panY = new SimpleDoubleProperty(0);

    private final ReadOnlyObjectWrapper<ArgbImage> imageA = new ReadOnlyObjectWrapper<>();
    private final ReadOnlyObjectWrapper<ArgbImage> imageB = new ReadOnlyObjectWrapper<>();
    private final ReadOnlyObjectWrapper<ArgbImage> differenceImage = new ReadOnlyObjectWrapper<>();
    private final ObservableList<ColourScale.Tick> legend = FXCollections.observableArrayList();
    private final ReadOnlyStringWrapper psnr = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper ssim = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper cosine = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper maxAbs = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper framePsnr = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper verdict = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper speedups = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper worstLayer = new ReadOnlyStringWrapper("");
    private final ObservableList<TimingRow> timing = FXCollections.observableArrayList();
    private final ObservableList<SvgCharts.Series> layerLines = FXCollections.observableArrayList();
    private final ObservableList<String> layerLabels = FXCollections.observableArrayList();
    private final ObservableList<SvgCharts.Series> framePsnrLine = FXCollections.observableArrayList();
    private final ObservableList<String> frameLabels = FXCollections.observableArrayList();
    private final ObservableList<SvgCharts.Series> timingBars = FXCollections.observableArrayList();
    private final ReadOnlyObjectWrapper<LayerAccuracy> layers = new ReadOnlyObjectWrapper<>();
    private final ObservableList<String> backendChoices = FXCollections.observableArrayList();

    public CompareViewModel(Executor background, Executor ui) {
        this.job = new BackgroundJob(background, ui, "Pick a prompt and press Compare.");
        backendChoices.setAll(BackendsHere.all());
        List<String> pair = BackendsHere.defaultPair();
        backendA.set(pair.get(0));
        backendB.set(pair.get(1));
        frame.addListener((o, was, now) -> renderFrame());
        gain.addListener((o, was, now) -> renderFrame());
    }

    /** Runs A then B in the background; progress and the result arrive on the UI executor. */
    public void compare() {
        if (job.runningProperty().get()) {
            return;
        }
        if (model.get() == null || prompt.get().isBlank()) {
            job.say("Pick a model and write a prompt first.");
            return;
        }
        CompareJob compare = new CompareJob(model.get(), prompt.get(), seed.get() == null ? 0 : seed.get(),
                steps.get(), backendA.get(), backendB.get(), threads.get());
        job.start("Compare", (progress, cancelled) -> compare.run((side, step, total) -> {
            // A's share is the first half of the overall bar, B's (and A's capture pass) the second.
            double fraction = step / (double) total;
            progress.report(side.equals("A") ? fraction / 2 : 0.5 + fraction / 2,
                    String.format(Locale.ROOT, "Running %s: step %d/%d", side, step, total));
        }, cancelled), this::show);
    }

    /** Asks the running comparison to stop after its current step. */
    public void cancel() {
        job.cancel();
    }

    /** Shows a finished comparison (the export then writes its report). */
    public void show(CompareJob.Done result) {
        done = result;
        show(result.outcome());
    }

    /** Shows a comparison's outcome: numbers, images and charts; the gain starts at the suggested one. */
    public void show(CompareOutcome value) {
        outcome.set(value);
        CompareNumbers n = value.numbers();
        psnr.set(CompareText.psnr(n.quality().psnr()) + " dB");
        ssim.set(String.format(Locale.ROOT, "%.6f", n.quality().ssim()));
        cosine.set(String.format(Locale.ROOT, "%.8f", n.quality().cosine()));
        maxAbs.set(String.format(Locale.ROOT, "%.3e", n.quality().maxAbs()));
        verdict.set(CompareText.verdict(n));
        speedups.set(CompareText.speedups(n));
        CompareNumbers.TimingSplit a = n.timing().a();
        CompareNumbers.TimingSplit b = n.timing().b();
        timing.setAll(new TimingRow("total", a.totalMs(), b.totalMs()),
                new TimingRow("denoiser step (median)", a.medianStepMs(), b.medianStepMs()),
                new TimingRow("ONNX Runtime", a.ortMs(), b.ortMs()),
                new TimingRow("attention", a.attentionMeasured() ? a.attentionMs() : Double.NaN,
                        b.attentionMeasured() ? b.attentionMs() : Double.NaN));
        timingBars.setAll(CompareCharts.timingBars(n));
        LayerAccuracy layers = n.layers();
        this.layers.set(layers);
        layerLabels.setAll(layers.shortLabels());
        layerLines.setAll(CompareCharts.layerCosineLines(layers));
        worstLayer.set(layers.worst() == null ? "No per-layer numbers: " + n.layersAbsentReason()
                : String.format(Locale.ROOT, "Worst layer: %s at %s (relative L1 %.3e, cosine %.6f)",
                layers.shortLabels().get(layers.worst().layer()), CompareCharts.stepLabel(layers.worst().step()),
                layers.worst().relativeL1(), layers.worst().cosine()));
        frameLabels.setAll(CompareCharts.frameLabels(n));
        framePsnrLine.setAll(n.frames().size() > 1 ? List.of(CompareCharts.perFramePsnr(n)) : List.of());
        job.say("Done: " + n.a().requested() + " vs " + n.b().requested() + ".");
        frame.set(0);
        gain.set(value.difference().suggestedGain());
        renderFrame();
    }

    private void renderFrame() {
        CompareOutcome o = outcome.get();
        if (o == null) {
            return;
        }
        int f = Math.max(0, Math.min(o.frames() - 1, frame.get()));
        imageA.set(o.framesA().get(f));
        imageB.set(o.framesB().get(f));
        double g = Math.max(1, Math.min(DifferenceHeatmap.MAX_GAIN, gain.get()));
        differenceImage.set(o.difference().render(f, g));
        legend.setAll(ColourScale.ticks(1 / g, 5));
        framePsnr.set(o.frames() > 1 ? "frame " + (f + 1) + ": PSNR " + CompareText.psnr(
                o.numbers().frames().get(f).psnr()) + " dB" : "");
    }

    /** The next display mode (right arrow), wrapping around. */
    public void nextMode() {
        Mode[] all = Mode.values();
        mode.set(all[(mode.get().ordinal() + 1) % all.length]);
    }

    /** The previous display mode (left arrow), wrapping around. */
    public void previousMode() {
        Mode[] all = Mode.values();
        mode.set(all[(mode.get().ordinal() + all.length - 1) % all.length]);
    }

    /** One flicker beat: the view's timer calls this every 1 / (2 · {@link #flickerHzProperty()}) seconds. */
    public void flickerTick() {
        flickerShowsA.set(!flickerShowsA.get());
    }

    /** The frame the video clock points at, for {@code seconds} since playback began (both clips in lockstep). */
    public int frameAt(double seconds) {
        CompareOutcome o = outcome.get();
        return o == null ? 0 : (int) Math.floor(seconds * o.fps()) % o.frames();
    }

    /** Writes the report of the shown comparison (and its JSON); returns the JSON's path. */
    public Path exportReport(Path html) throws IOException {
        if (done == null) {
            throw new IllegalStateException("nothing to export yet: run a comparison first");
        }
        return done.exportReport(html);
    }

    public boolean canExport() {
        return done != null;
    }

    /** Puts {@code message} in the status line (e.g. why a picked model cannot be used). */
    public void say(String message) {
        job.say(message);
    }

    public ObjectProperty<Path> modelProperty() {
        return model;
    }

    public StringProperty promptProperty() {
        return prompt;
    }

    public ObjectProperty<Long> seedProperty() {
        return seed;
    }

    public ObjectProperty<Integer> stepsProperty() {
        return steps;
    }

    public StringProperty backendAProperty() {
        return backendA;
    }

    public StringProperty backendBProperty() {
        return backendB;
    }

    public IntegerProperty threadsProperty() {
        return threads;
    }

    public ReadOnlyBooleanProperty runningProperty() {
        return job.runningProperty();
    }

    /** Overall progress: A's run fills the first half, B's the second. */
    public ReadOnlyDoubleProperty progressProperty() {
        return job.progressProperty();
    }

    public ReadOnlyStringProperty statusProperty() {
        return job.statusProperty();
    }

    public ReadOnlyObjectProperty<CompareOutcome> outcomeProperty() {
        return outcome.getReadOnlyProperty();
    }

    public ObjectProperty<Mode> modeProperty() {
        return mode;
    }

    public DoubleProperty wipePositionProperty() {
        return wipePosition;
    }

    public DoubleProperty flickerHzProperty() {
        return flickerHz;
    }

    public ReadOnlyBooleanProperty flickerShowsAProperty() {
        return flickerShowsA.getReadOnlyProperty();
    }

    public DoubleProperty gainProperty() {
        return gain;
    }

    public IntegerProperty frameProperty() {
        return frame;
    }

    public DoubleProperty zoomProperty() {
        return zoom;
    }

    public DoubleProperty panXProperty() {
        return panX;
    }

    public DoubleProperty panYProperty() {
        return panY;
    }

    public ReadOnlyObjectProperty<ArgbImage> imageAProperty() {
        return imageA.getReadOnlyProperty();
    }

    public ReadOnlyObjectProperty<ArgbImage> imageBProperty() {
        return imageB.getReadOnlyProperty();
    }

    public ReadOnlyObjectProperty<ArgbImage> differenceImageProperty() {
        return differenceImage.getReadOnlyProperty();
    }

    public ObservableList<ColourScale.Tick> legend() {
        return legend;
    }

    public ReadOnlyStringProperty psnrProperty() {
        return psnr.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty ssimProperty() {
        return ssim.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty cosineProperty() {
        return cosine.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty maxAbsProperty() {
        return maxAbs.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty framePsnrProperty() {
        return framePsnr.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty verdictProperty() {
        return verdict.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty speedupsProperty() {
        return speedups.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty worstLayerProperty() {
        return worstLayer.getReadOnlyProperty();
    }

    public ObservableList<TimingRow> timing() {
        return timing;
    }

    /** One line per sampled step: cosine similarity of B vs the float64 reference across {@link #layerLabels()}. */
    public ObservableList<SvgCharts.Series> layerLines() {
        return layerLines;
    }

    public ObservableList<String> layerLabels() {
        return layerLabels;
    }

    /** The per-frame PSNR line under the video scrubber (empty for an image). */
    public ObservableList<SvgCharts.Series> framePsnrLine() {
        return framePsnrLine;
    }

    /** The frames' labels "1".."F", the per-frame PSNR line's x axis. */
    public ObservableList<String> frameLabels() {
        return frameLabels;
    }

    /** Milliseconds per {@link CompareCharts#TIMING_CATEGORIES}, one series for A and one for B. */
    public ObservableList<SvgCharts.Series> timingBars() {
        return timingBars;
    }

    /** The shown comparison's per-layer accuracy (the heatmap's cells), or null before any. */
    public ReadOnlyObjectProperty<LayerAccuracy> layersProperty() {
        return layers.getReadOnlyProperty();
    }

    /** The backends the A and B pickers offer: those that run here, full precision first. */
    public ObservableList<String> backendChoices() {
        return backendChoices;
    }
}
