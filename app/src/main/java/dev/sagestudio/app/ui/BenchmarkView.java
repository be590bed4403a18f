package dev.sagestudio.app.ui;

import dev.sagestudio.app.bench.BenchmarkResults;
import dev.sagestudio.app.bench.CpuAttentionBenchmark;
import dev.sagestudio.app.bench.TopsSeries;
import java.util.Locale;
import javafx.collections.FXCollections;
import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.chart.CategoryAxis;
import javafx.scene.chart.LineChart;
import javafx.scene.chart.NumberAxis;
import javafx.scene.chart.XYChart;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.VBox;

/**
 * The benchmark screen on a {@link BenchmarkViewModel}: run (with progress, cancellable), load and save; TOPS
 * against sequence length for this machine and, beside it, the committed H100 results, for the chosen head dim
 * and causal setting; the model's step time per backend.
 */
public final class BenchmarkView {

    private final BenchmarkViewModel vm;
    private final BorderPane root = new BorderPane();
    private final HBox plots = new HBox(10);
    private final VBox steps = new VBox(2);

    public BenchmarkView(BenchmarkViewModel vm) {
        this.vm = vm;
        root.setTop(controls());
        Label device = new Label();
        device.setId("bench-device");
        device.textProperty().bind(vm.deviceProperty());
        device.setWrapText(true);
        // The reference's full description (peak and its source) is too long for a chart title.
        Label reference = new Label();
        reference.setId("bench-reference");
        reference.textProperty().bind(javafx.beans.binding.Bindings.concat("Reference (committed results): ",
                vm.referenceDeviceProperty()));
        reference.setWrapText(true);
        reference.visibleProperty().bind(vm.showReferenceProperty());
        reference.managedProperty().bind(reference.visibleProperty());
        Label stepsTitle = new Label("Denoiser step time per backend");
        stepsTitle.getStyleClass().add("field-label");
        VBox center = new VBox(8, device, reference, plots, stepsTitle, steps);
        center.setPadding(new Insets(8));
        root.setCenter(new ScrollPane(center));
        vm.hereProperty().addListener((o, was, now) -> replot());
        vm.referenceProperty().addListener((o, was, now) -> replot());
        vm.steps().addListener((ListChangeListener<BenchmarkResults.StepBench>) c -> showSteps());
        replot();
        showSteps();
    }

    public Node node() {
        return root;
    }

    private Node controls() {
        Button run = new Button("Run benchmark");
        run.disableProperty().bind(vm.runningProperty());
        run.setOnAction(e -> vm.run(CpuAttentionBenchmark.Plan.defaults()));
        Button cancel = new Button("Cancel");
        cancel.disableProperty().bind(vm.runningProperty().not());
        cancel.setOnAction(e -> vm.cancel());
        Button load = new Button("Load…");
        load.setOnAction(e -> ViewParts.withFile(root, "sagestudio-bench.json", false, file -> vm.load(file.toPath())));
        Button save = new Button("Save…");
        save.disableProperty().bind(vm.resultsProperty().isNull());
        save.setOnAction(e -> ViewParts.withFile(root, "sagestudio-bench.json", true, file -> vm.save(file.toPath())));
        ComboBox<Integer> headDim = new ComboBox<>(FXCollections.observableArrayList(BenchmarkViewModel.HEAD_DIMS));
        headDim.setValue(vm.headDimProperty().get());
        headDim.valueProperty().addListener((o, was, now) -> vm.headDimProperty().set(now));
        CheckBox causal = new CheckBox("causal");
        causal.selectedProperty().bindBidirectional(vm.causalProperty());
        CheckBox reference = new CheckBox("H100 reference");
        reference.selectedProperty().bindBidirectional(vm.showReferenceProperty());
        HBox row = new HBox(8, run, cancel, load, save, new Label("  head dim"), headDim, causal, reference);
        row.setAlignment(Pos.CENTER_LEFT);
        return ViewParts.header(vm.progressProperty(), vm.statusProperty(), row);
    }

    private void replot() {
        plots.getChildren().clear();
        if (vm.hereProperty().get() != null) {
            plots.getChildren().add(chart("This machine", vm.hereProperty().get()));
        }
        if (vm.referenceProperty().get() != null) {
            plots.getChildren().add(chart(vm.referenceName(), vm.referenceProperty().get()));
        }
    }

    private static Node chart(String title, TopsSeries plot) {
        CategoryAxis x = new CategoryAxis();
        x.setLabel("sequence length");
        NumberAxis y = new NumberAxis();
        y.setLabel("TOPS");
        LineChart<String, Number> chart = new LineChart<>(x, y);
        chart.setTitle(String.format(Locale.ROOT, "%s — D=%d, %s", title, plot.headDim(),
                plot.causal() ? "causal" : "non-causal"));
        chart.setAnimated(false);
        chart.setPrefSize(620, 420);
        for (TopsSeries.Line line : plot.lines()) {
            XYChart.Series<String, Number> series = new XYChart.Series<>();
            series.setName(line.name());
            for (int i = 0; i < plot.seqLens().size(); i++) {
                if (Double.isFinite(line.tops()[i])) {
                    series.getData().add(new XYChart.Data<>(plot.seqLens().get(i).toString(), line.tops()[i]));
                }
            }
            chart.getData().add(series);
        }
        return chart;
    }

    private void showSteps() {
        steps.getChildren().clear();
        if (vm.steps().isEmpty()) {
            steps.getChildren().add(new Label("(not measured: pick a model before running)"));
            return;
        }
        // A grid, so that the numbers line up in the proportional font.
        javafx.scene.layout.GridPane table = new javafx.scene.layout.GridPane();
        table.setHgap(16);
        table.setVgap(2);
        String[] heads = {"backend", "step", "ONNX Runtime", "attention", "model"};
        for (int c = 0; c < heads.length; c++) {
            Label head = new Label(heads[c]);
            head.getStyleClass().add("text-muted");
            table.add(head, c, 0);
        }
        int row = 1;
        for (BenchmarkResults.StepBench s : vm.steps()) {
            table.addRow(row++, new Label(s.backend()), number(s.totalMs()), number(s.ortMs()),
                    number(s.attentionMs()), new Label(s.model()));
        }
        steps.getChildren().add(table);
    }

    private static Label number(double ms) {
        Label label = new Label(String.format(Locale.ROOT, "%.1f ms", ms));
        label.setMaxWidth(Double.MAX_VALUE);
        label.setAlignment(Pos.CENTER_RIGHT);
        javafx.scene.layout.GridPane.setFillWidth(label, true);
        return label;
    }
}
