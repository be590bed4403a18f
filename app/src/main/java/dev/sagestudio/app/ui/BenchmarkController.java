package dev.sagestudio.app.ui;

import dev.sagestudio.app.bench.BenchmarkResults;
import dev.sagestudio.app.bench.TopsSeries;
import dev.sagestudio.app.compare.SvgCharts;
import java.util.List;
import java.util.Locale;
import javafx.beans.binding.Bindings;
import javafx.collections.FXCollections;
import javafx.collections.ListChangeListener;
import javafx.fxml.FXML;
import javafx.scene.Node;
import javafx.scene.chart.BarChart;
import javafx.scene.chart.LineChart;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.Spinner;
import javafx.scene.control.SpinnerValueFactory;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.VBox;

/** Binds the Benchmark tab (BenchmarkView.fxml) to its {@link BenchmarkViewModel}. */
public final class BenchmarkController {

    private final BenchmarkViewModel vm;

    @FXML private BorderPane benchRoot;
    @FXML private Button benchRunButton;
    @FXML private Button benchCancelButton;
    @FXML private Button benchSaveButton;
    @FXML private ComboBox<String> benchModelBox;
    @FXML private Spinner<Integer> benchStepsSpinner;
    @FXML private ComboBox<Integer> headDimBox;
    @FXML private CheckBox causalBox;
    @FXML private CheckBox referenceBox;
    @FXML private Label planLabel;
    @FXML private ProgressBar benchProgressBar;
    @FXML private Label benchStatusLabel;
    @FXML private Label deviceLabel;
    @FXML private Label referenceLabel;
    @FXML private Label notesLabel;
    @FXML private LineChart<String, Number> hereChart;
    @FXML private LineChart<String, Number> referenceChart;
    @FXML private Label endToEndTitle;
    @FXML private BarChart<Number, String> stepChart;
    @FXML private BarChart<Number, String> totalChart;
    @FXML private NumberTable endToEndTable;
    @FXML private VBox firstStepsBox;
    @FXML private NumberTable firstStepsTable;
    @FXML private VBox measuredBox;

    public BenchmarkController(BenchmarkViewModel vm) {
        this.vm = vm;
    }

    @FXML
    private void initialize() {
        benchRunButton.disableProperty().bind(vm.runningProperty());
        benchCancelButton.disableProperty().bind(vm.runningProperty().not());
        benchSaveButton.disableProperty().bind(vm.resultsProperty().isNull());
        ViewParts.bindModelPicker(benchModelBox, vm.modelProperty(), vm::say);
        benchStepsSpinner.setValueFactory(new SpinnerValueFactory.IntegerSpinnerValueFactory(1, 1000,
                vm.stepsProperty().get() == null ? 1 : vm.stepsProperty().get()));
        benchStepsSpinner.getValueFactory().valueProperty().bindBidirectional(vm.stepsProperty());
        headDimBox.setItems(FXCollections.observableArrayList(BenchmarkViewModel.HEAD_DIMS));
        headDimBox.setValue(vm.headDimProperty().get());
        headDimBox.valueProperty().addListener((o, was, now) -> vm.headDimProperty().set(now));
        causalBox.selectedProperty().bindBidirectional(vm.causalProperty());
        referenceBox.selectedProperty().bindBidirectional(vm.showReferenceProperty());
        planLabel.setText(vm.plan());
        benchProgressBar.progressProperty().bind(vm.progressProperty());
        benchStatusLabel.textProperty().bind(vm.statusProperty());
        deviceLabel.textProperty().bind(vm.deviceProperty());
        referenceLabel.textProperty().bind(Bindings.concat("Reference (committed results): ",
                vm.referenceDeviceProperty()));
        ViewParts.showWhen(referenceLabel, vm.showReferenceProperty());
        notesLabel.textProperty().bind(vm.notesProperty());
        ViewParts.showWhen(notesLabel, vm.notesProperty().isNotEmpty());
        vm.hereProperty().addListener((o, was, now) -> plot(hereChart, "This machine", now));
        vm.referenceProperty().addListener((o, was, now) -> plot(referenceChart, vm.referenceName(), now));
        ViewParts.showWhen(hereChart, vm.hereProperty().isNotNull());
        ViewParts.showWhen(referenceChart, vm.referenceProperty().isNotNull());
        plot(hereChart, "This machine", vm.hereProperty().get());
        plot(referenceChart, vm.referenceName(), vm.referenceProperty().get());
        // a session's generations arrive after the session itself: either change redraws them
        vm.resultsProperty().addListener((o, was, now) -> showEndToEnd());
        vm.endToEnd().addListener((ListChangeListener<BenchmarkResults.EndToEnd>) c -> showEndToEnd());
        vm.firstSteps().addListener((ListChangeListener<BenchmarkResults.StepBench>) c -> showFirstSteps());
        showEndToEnd();
        showFirstSteps();
        showMeasured();
    }

    /** The committed real-shape step times: per card a title and a table, each failed backend with why, a caption. */
    private void showMeasured() {
        javafx.collections.ObservableList<Node> parts = measuredBox.getChildren();
        if (!vm.measuredProblem().isEmpty()) {
            parts.add(muted(vm.measuredProblem()));
            return;
        }
        if (vm.measured().isEmpty()) {
            parts.add(muted("Step times at real shapes: none ship with this build"
                    + " (models/bench/results/real-shapes-*.json)."));
            return;
        }
        for (BenchmarkViewModel.MeasuredSection section : vm.measured()) {
            Label title = new Label(section.title());
            title.getStyleClass().add("field-label");
            NumberTable table = new NumberTable();
            table.setHgap(16);
            table.setVgap(2);
            table.show(BenchmarkViewModel.MEASURED_HEADINGS, 3, section.rows());
            parts.add(title);
            if (!section.about().isEmpty()) {
                parts.add(muted(String.join("; ", section.about())));
            }
            parts.add(table);
            section.failures().forEach(f -> parts.add(muted(f)));
        }
        parts.add(muted(BenchmarkViewModel.MEASURED_CAPTION));
    }

    private static Label muted(String text) {
        Label label = new Label(text);
        label.setWrapText(true);
        label.getStyleClass().add("text-muted");
        return label;
    }

    private static void plot(LineChart<String, Number> chart, String title, TopsSeries plot) {
        if (plot == null) {
            chart.getData().clear();
            return;
        }
        chart.setTitle(String.format(Locale.ROOT, "%s — D=%d, %s", title, plot.headDim(),
                plot.causal() ? "causal" : "non-causal"));
        ChartData.show(chart, plot.seqLens().stream().map(String::valueOf).toList(), plot.lines().stream()
                .map(line -> new SvgCharts.Series(line.name(), line.tops())).toList());
    }

    private void showEndToEnd() {
        List<BenchmarkResults.EndToEnd> runs = vm.endToEnd();
        boolean shown = !runs.isEmpty();
        for (Node node : List.of(stepChart, totalChart, endToEndTable)) {
            node.setVisible(shown);
            node.setManaged(shown);
        }
        endToEndTitle.setText(shown ? "Whole generation of " + runs.get(0).model() + " per backend ("
                + runs.get(0).steps() + " steps after a one-step warm-up)"
                : vm.resultsProperty().get() == null ? "Whole generation per backend: pick a model, then Run"
                : "This session has no whole generations (no model was picked for it)");
        List<String> backends = runs.stream().map(BenchmarkResults.EndToEnd::backend).toList();
        ChartData.showBars(stepChart, backends, "median step (ms)", runs.stream()
                .mapToDouble(BenchmarkResults.EndToEnd::medianStepMs).toArray());
        ChartData.showBars(totalChart, backends, "total (s)", runs.stream().mapToDouble(r -> r.totalMs() / 1000)
                .toArray());
        endToEndTable.show(List.of("backend", "attention ran on", "median step", "total", "ONNX Runtime",
                "attention"), 2, runs.stream().map(r -> List.of(r.backend(), r.ran(), ms(r.medianStepMs()),
                String.format(Locale.ROOT, "%.2f s", r.totalMs() / 1000), ms(r.ortMs()), ms(r.attentionMs())))
                .toList());
    }

    private void showFirstSteps() {
        List<BenchmarkResults.StepBench> steps = vm.firstSteps();
        firstStepsBox.setVisible(!steps.isEmpty());
        firstStepsBox.setManaged(!steps.isEmpty());
        firstStepsTable.show(List.of("backend", "model", "step", "ONNX Runtime", "attention"), 2, steps.stream()
                .map(s -> List.of(s.backend(), s.model(), ms(s.totalMs()), ms(s.ortMs()), ms(s.attentionMs())))
                .toList());
    }

    private static String ms(double value) {
        // negative: not measured (BenchmarkResults.NOT_SPLIT)
        return value < 0 || !Double.isFinite(value) ? "—" : String.format(Locale.ROOT, "%.1f ms", value);
    }

    @FXML
    private void run() {
        vm.run();
    }

    @FXML
    private void cancel() {
        vm.cancel();
    }

    @FXML
    private void load() {
        ViewParts.withFile(benchRoot, "sagestudio-bench.json", false, file -> vm.load(file.toPath()));
    }

    @FXML
    private void save() {
        ViewParts.withFile(benchRoot, "sagestudio-bench.json", true, file -> vm.save(file.toPath()));
    }
}
