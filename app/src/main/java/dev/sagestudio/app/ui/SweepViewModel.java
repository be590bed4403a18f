package dev.sagestudio.app.ui;

import dev.sagestudio.app.compare.ArgbImage;
import dev.sagestudio.app.compare.BackendsHere;
import dev.sagestudio.app.compare.SweepJob;
import dev.sagestudio.app.compare.SweepPlan;
import dev.sagestudio.app.compare.SweepResult;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/**
 * The sweep view: a grid over backends (columns; the first is the reference) × seeds or step counts (rows), each
 * cell with its image, time and PSNR against its row's first cell; labels show only what differs, the shared
 * settings go to a caption; the grid exports as one picture.
 */
public final class SweepViewModel {

    /** One cell as shown: image, caption ("1.23 s · PSNR 41.2 dB"), and the numbers behind the caption. */
    public record CellView(ArgbImage image, String caption, double totalMs, double psnr) {
    }

    private final BackgroundJob job;

    private final ObjectProperty<Path> model = new SimpleObjectProperty<>();
    private final StringProperty prompt = new SimpleStringProperty("");
    private final ObjectProperty<Long> seed = new SimpleObjectProperty<>(7L);
    private final ObjectProperty<Integer> steps = new SimpleObjectProperty<>();
    private final ObservableList<String> backends = FXCollections.observableArrayList(BackendsHere.all());
    private final ObjectProperty<SweepPlan.Axis> axis = new SimpleObjectProperty<>(SweepPlan.Axis.SEEDS);
    private final StringProperty values = new SimpleStringProperty("1, 2, 3");
    private final IntegerProperty threads = new SimpleIntegerProperty(0);

    private final ReadOnlyStringWrapper caption = new ReadOnlyStringWrapper("");
    private final ObservableList<String> columnLabels = FXCollections.observableArrayList();
    private final ObservableList<String> rowLabels = FXCollections.observableArrayList();
    private final ObservableList<List<CellView>> cells = FXCollections.observableArrayList();
    private SweepResult result;

    public SweepViewModel(Executor background, Executor ui) {
        this.job = new BackgroundJob(background, ui, "");
    }

    /** The job the form describes, or empty with the reason in {@link #statusProperty()}. */
    public java.util.Optional<SweepJob> job() {
        try {
            if (model.get() == null || prompt.get().isBlank()) {
                throw new IllegalArgumentException("pick a model and write a prompt first");
            }
            SweepJob job = new SweepJob(model.get(), prompt.get(), seed.get() == null ? 0 : seed.get(), steps.get(),
                    List.copyOf(backends), axis.get(), SweepJob.parseValues(values.get()), threads.get());
            job.plan();
            return java.util.Optional.of(job);
        } catch (IllegalArgumentException e) {
            job.say("Cannot sweep: " + e.getMessage());
            return java.util.Optional.empty();
        }
    }

    /** Runs the sweep in the background. */
    public void run() {
        if (job.runningProperty().get()) {
            return;
        }
        job().ifPresent(sweep -> job.start("Sweep", (progress, cancelled) -> sweep.run((done, total, label) ->
                progress.report(done / (double) total, "Cell " + (done + 1) + "/" + total + ": " + label), cancelled),
                this::show));
    }

    public void cancel() {
        job.cancel();
    }

    /** Shows a finished sweep. */
    public void show(SweepResult value) {
        result = value;
        columnLabels.setAll(value.columnLabels());
        rowLabels.setAll(value.rowLabels());
        caption.set(value.caption());
        List<List<CellView>> rows = new ArrayList<>();
        for (List<SweepResult.Cell> row : value.cells()) {
            List<CellView> out = new ArrayList<>();
            for (int c = 0; c < row.size(); c++) {
                SweepResult.Cell cell = row.get(c);
                out.add(new CellView(cell.preview(), cell.caption(c == 0), cell.totalMs(), cell.psnr()));
            }
            rows.add(List.copyOf(out));
        }
        cells.setAll(rows);
        job.say("Done: " + rows.size() + " × " + value.columnLabels().size() + " cells.");
    }

    /** Writes the shown grid as one PNG. */
    public void exportImage(Path png) throws IOException {
        if (result == null) {
            throw new IllegalStateException("nothing to export yet: run a sweep first");
        }
        SweepJob.exportImage(result, png);
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

    /** The backends, reference first (all that run here by default). */
    public ObservableList<String> backends() {
        return backends;
    }

    public ObjectProperty<SweepPlan.Axis> axisProperty() {
        return axis;
    }

    /** The rows' seeds or step counts, as typed ("1, 2, 3"). */
    public StringProperty valuesProperty() {
        return values;
    }

    public IntegerProperty threadsProperty() {
        return threads;
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

    public ReadOnlyStringProperty captionProperty() {
        return caption.getReadOnlyProperty();
    }

    public ObservableList<String> columnLabels() {
        return columnLabels;
    }

    public ObservableList<String> rowLabels() {
        return rowLabels;
    }

    /** [row][column]. */
    public ObservableList<List<CellView>> cells() {
        return cells;
    }
}
