package dev.sagestudio.app.ui;

import dev.sagestudio.app.compare.ColourScale;
import dev.sagestudio.app.compare.CompareCharts;
import dev.sagestudio.app.compare.CompareOutcome;
import dev.sagestudio.app.compare.LayerAccuracy;
import dev.sagestudio.app.compare.SvgCharts;
import java.util.List;
import java.util.Locale;
import javafx.animation.KeyFrame;
import javafx.animation.Timeline;
import javafx.beans.binding.Bindings;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.canvas.Canvas;
import javafx.scene.canvas.GraphicsContext;
import javafx.scene.chart.BarChart;
import javafx.scene.chart.CategoryAxis;
import javafx.scene.chart.LineChart;
import javafx.scene.chart.NumberAxis;
import javafx.scene.chart.XYChart;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.Slider;
import javafx.scene.control.TextField;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.ToggleGroup;
import javafx.scene.image.ImageView;
import javafx.scene.input.KeyCode;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Pane;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import javafx.scene.paint.Color;
import javafx.scene.shape.Rectangle;
import javafx.util.Duration;

/**
 * The compare screen, built on a {@link CompareViewModel}: the form and progress on top, the outputs in the chosen
 * mode with gain, wipe, flicker rate and frame controls, then metrics, timing bars, per-layer lines and the
 * steps × layers heatmap. {@link #node()} drops into the main window; arrow keys step through the modes.
 */
public final class CompareView {

    /** Shown size of an output at zoom 1; small models make small images, enlarged without smoothing. */
    static final double SHOWN = 256;

    private final CompareViewModel vm;
    private final BorderPane root = new BorderPane();
    private final StackPane stage = new StackPane();
    private final ImageView a = pixelated();
    private final ImageView b = pixelated();
    private final ImageView wipeA = pixelated();
    private final ImageView wipeB = pixelated();
    private final ImageView flicker = pixelated();
    private final ImageView difference = pixelated();
    private final HBox legend = new HBox(6);
    private final VBox charts = new VBox(10);
    private final Timeline flickerClock = new Timeline();

    public CompareView(CompareViewModel vm) {
        this.vm = vm;
        root.setTop(form());
        VBox center = new VBox(8, modes(), stage, frameBar(), metrics(), charts);
        center.setPadding(new Insets(8));
        ScrollPane scroll = new ScrollPane(center);
        scroll.setFitToWidth(true);
        root.setCenter(scroll);
        root.setFocusTraversable(true);
        root.setOnKeyPressed(e -> {
            if (e.getCode() == KeyCode.RIGHT) {
                vm.nextMode();
                e.consume();
            } else if (e.getCode() == KeyCode.LEFT) {
                vm.previousMode();
                e.consume();
            }
        });
        a.imageProperty().bind(Bindings.createObjectBinding(() -> FxImages.of(vm.imageAProperty().get()),
                vm.imageAProperty()));
        b.imageProperty().bind(Bindings.createObjectBinding(() -> FxImages.of(vm.imageBProperty().get()),
                vm.imageBProperty()));
        wipeA.imageProperty().bind(a.imageProperty());
        wipeB.imageProperty().bind(b.imageProperty());
        flicker.imageProperty().bind(Bindings.when(vm.flickerShowsAProperty()).then(a.imageProperty())
                .otherwise(b.imageProperty()));
        difference.imageProperty().bind(Bindings.createObjectBinding(
                () -> FxImages.of(vm.differenceImageProperty().get()), vm.differenceImageProperty()));
        for (ImageView view : List.of(a, b, wipeA, wipeB, flicker, difference)) {
            view.fitWidthProperty().bind(vm.zoomProperty().multiply(SHOWN));
            view.translateXProperty().bind(vm.panXProperty());
            view.translateYProperty().bind(vm.panYProperty());
        }
        vm.modeProperty().addListener((o, was, now) -> showMode());
        vm.outcomeProperty().addListener((o, was, now) -> showCharts(now));
        vm.legend().addListener((javafx.collections.ListChangeListener<ColourScale.Tick>) c -> showLegend());
        vm.flickerHzProperty().addListener((o, was, now) -> restartFlicker());
        showMode();
        if (vm.outcomeProperty().get() != null) {
            showCharts(vm.outcomeProperty().get());
            showLegend();
        }
    }

    public Node node() {
        return root;
    }

    private Node form() {
        TextField prompt = ViewParts.promptField(vm.promptProperty());
        TextField seed = new TextField();
        seed.setPrefColumnCount(6);
        seed.setText(String.valueOf(vm.seedProperty().get()));
        seed.textProperty().addListener((o, was, now) -> vm.seedProperty().set(parseLong(now)));
        ComboBox<String> backendA = backends(vm.backendAProperty());
        ComboBox<String> backendB = backends(vm.backendBProperty());
        Button compare = new Button("Compare");
        compare.setDefaultButton(true);
        compare.disableProperty().bind(vm.runningProperty());
        compare.setOnAction(e -> vm.compare());
        Button cancel = new Button("Cancel");
        cancel.disableProperty().bind(vm.runningProperty().not());
        cancel.setOnAction(e -> vm.cancel());
        Button export = new Button("Export report…");
        export.disableProperty().bind(vm.outcomeProperty().isNull());
        export.setOnAction(e -> exportReport());
        ComboBox<String> model = ViewParts.modelPicker(vm.modelProperty(), vm::say);
        HBox setup = new HBox(6, new Label("Model"), model, new Label("Prompt"), prompt, new Label("Seed"), seed);
        setup.setAlignment(Pos.CENTER_LEFT);
        HBox row = new HBox(6, new Label("A"), backendA, new Label("B"), backendB, compare, cancel, export);
        row.setAlignment(Pos.CENTER_LEFT);
        return ViewParts.header(vm.progressProperty(), vm.statusProperty(), setup, row);
    }

    private void exportReport() {
        ViewParts.withFile(root, "sagestudio-compare.html", true, file -> vm.exportReport(file.toPath()));
    }

    private static ComboBox<String> backends(javafx.beans.property.StringProperty value) {
        ComboBox<String> box = new ComboBox<>(javafx.collections.FXCollections.observableArrayList(
                dev.sagestudio.app.compare.BackendsHere.all()));
        box.valueProperty().bindBidirectional(value);
        return box;
    }

    private Node modes() {
        ToggleGroup group = new ToggleGroup();
        HBox bar = new HBox(6);
        for (CompareViewModel.Mode m : CompareViewModel.Mode.values()) {
            ToggleButton button = new ToggleButton(m.label());
            button.setToggleGroup(group);
            button.setUserData(m);
            button.setSelected(vm.modeProperty().get() == m);
            button.setOnAction(e -> vm.modeProperty().set(m));
            vm.modeProperty().addListener((o, was, now) -> button.setSelected(now == m));
            bar.getChildren().add(button);
        }
        Slider gain = new Slider(0, 4, Math.log10(Math.max(1, vm.gainProperty().get())));
        gain.setPrefWidth(140);
        // log10 of the gain: 1× to 10 000×
        gain.valueProperty().addListener((o, was, now) -> vm.gainProperty().set(Math.pow(10, now.doubleValue())));
        vm.gainProperty().addListener((o, was, now) -> gain.setValue(Math.log10(now.doubleValue())));
        Label gainText = new Label();
        gainText.textProperty().bind(Bindings.createStringBinding(() -> String.format(Locale.ROOT, "gain %s×",
                SvgCharts.number(vm.gainProperty().get())), vm.gainProperty()));
        Slider wipe = new Slider(0, 1, 0.5);
        wipe.setPrefWidth(120);
        wipe.valueProperty().bindBidirectional(vm.wipePositionProperty());
        Slider rate = new Slider(0.5, 10, 2);
        rate.setPrefWidth(100);
        rate.valueProperty().bindBidirectional(vm.flickerHzProperty());
        Slider zoom = new Slider(0.5, 4, 1);
        zoom.setPrefWidth(100);
        zoom.valueProperty().bindBidirectional(vm.zoomProperty());
        bar.getChildren().addAll(new Label("  Gain"), gain, gainText, new Label("  Wipe"), wipe,
                new Label("  Flicker Hz"), rate, new Label("  Zoom"), zoom);
        bar.setAlignment(Pos.CENTER_LEFT);
        stage.setMinHeight(SHOWN + 40);
        stage.setAlignment(Pos.TOP_LEFT);
        stage.setOnMouseDragged(e -> {
            vm.panXProperty().set(e.getX() - SHOWN / 2);
            vm.panYProperty().set(e.getY() - SHOWN / 2);
        });
        stage.setOnScroll(e -> vm.zoomProperty().set(Math.max(0.5, Math.min(4,
                vm.zoomProperty().get() * (e.getDeltaY() > 0 ? 1.1 : 1 / 1.1)))));
        return bar;
    }

    private void showMode() {
        flickerClock.stop();
        Node shown = switch (vm.modeProperty().get()) {
            case SIDE_BY_SIDE -> new HBox(8, captioned(a, "A"), captioned(b, "B"));
            case WIPE -> wipe();
            case FLICKER -> {
                restartFlicker();
                yield captioned(flicker, "A / B alternating");
            }
            case DIFFERENCE -> new VBox(4, captioned(difference, "|A − B| × gain"), legend);
        };
        stage.getChildren().setAll(shown);
        root.requestFocus();
    }

    private Node wipe() {
        // the dividing line, so the wipe shows where A ends even when A and B look alike
        javafx.scene.shape.Line divider = new javafx.scene.shape.Line();
        divider.startXProperty().bind(vm.wipePositionProperty().multiply(wipeA.fitWidthProperty())
                .add(vm.panXProperty()));
        divider.endXProperty().bind(divider.startXProperty());
        divider.startYProperty().bind(vm.panYProperty());
        divider.endYProperty().bind(wipeA.fitWidthProperty().add(vm.panYProperty()));
        divider.setStroke(Color.web("#00c0ff"));
        divider.setStrokeWidth(2);
        divider.setManaged(false);
        Pane layers = new Pane(wipeB, wipeA, divider);
        Rectangle clip = new Rectangle();
        clip.heightProperty().bind(wipeA.fitWidthProperty().multiply(4));
        clip.widthProperty().bind(vm.wipePositionProperty().multiply(wipeA.fitWidthProperty()));
        wipeA.setClip(clip);
        return captioned(layers, "A left of the line, B right");
    }

    private void restartFlicker() {
        flickerClock.stop();
        flickerClock.getKeyFrames().setAll(new KeyFrame(Duration.seconds(1 / (2 * vm.flickerHzProperty().get())),
                e -> vm.flickerTick()));
        flickerClock.setCycleCount(Timeline.INDEFINITE);
        if (vm.modeProperty().get() == CompareViewModel.Mode.FLICKER) {
            flickerClock.play();
        }
    }

    private Node frameBar() {
        Slider scrubber = new Slider(0, 0, 0);
        scrubber.setBlockIncrement(1);
        scrubber.setMajorTickUnit(1);
        scrubber.setSnapToTicks(true);
        scrubber.setPrefWidth(SHOWN * 2);
        scrubber.valueProperty().addListener((o, was, now) -> vm.frameProperty().set((int) Math.round(
                now.doubleValue())));
        vm.frameProperty().addListener((o, was, now) -> scrubber.setValue(now.intValue()));
        vm.outcomeProperty().addListener((o, was, now) -> scrubber.setMax(now == null ? 0 : now.frames() - 1));
        Label frame = new Label();
        frame.textProperty().bind(vm.framePsnrProperty());
        HBox bar = new HBox(8, new Label("Frame"), scrubber, frame);
        bar.setAlignment(Pos.CENTER_LEFT);
        bar.visibleProperty().bind(Bindings.createBooleanBinding(() -> vm.outcomeProperty().get() != null
                && vm.outcomeProperty().get().frames() > 1, vm.outcomeProperty()));
        bar.managedProperty().bind(bar.visibleProperty());
        return bar;
    }

    private Node metrics() {
        GridPane grid = new GridPane();
        grid.setHgap(14);
        grid.setVgap(4);
        String[] names = {"PSNR", "SSIM", "cosine", "max abs"};
        List<javafx.beans.value.ObservableStringValue> values = List.of(vm.psnrProperty(), vm.ssimProperty(),
                vm.cosineProperty(), vm.maxAbsProperty());
        for (int i = 0; i < names.length; i++) {
            Label name = new Label(names[i]);
            name.setStyle("-fx-font-weight: bold");
            Label value = new Label();
            value.setId("metric-" + names[i].replace(' ', '-').toLowerCase(Locale.ROOT));
            value.textProperty().bind(values.get(i));
            grid.add(name, i, 0);
            grid.add(value, i, 1);
        }
        Label verdict = new Label();
        verdict.setWrapText(true);
        verdict.setId("verdict");
        verdict.textProperty().bind(vm.verdictProperty());
        Label worst = new Label();
        worst.setId("worst-layer");
        worst.textProperty().bind(vm.worstLayerProperty());
        Label speedups = new Label();
        speedups.setWrapText(true);
        speedups.textProperty().bind(vm.speedupsProperty());
        return new VBox(6, verdict, grid, speedups, worst);
    }

    private void showCharts(CompareOutcome outcome) {
        charts.getChildren().clear();
        if (outcome == null) {
            return;
        }
        CategoryAxis categories = new CategoryAxis();
        NumberAxis ms = new NumberAxis();
        ms.setLabel("ms");
        BarChart<String, Number> timing = new BarChart<>(categories, ms);
        timing.setTitle("Time, A vs B");
        timing.setAnimated(false);
        timing.setPrefHeight(260);
        for (SvgCharts.Series s : CompareCharts.timingBars(outcome.numbers())) {
            XYChart.Series<String, Number> series = new XYChart.Series<>();
            series.setName(s.name());
            for (int i = 0; i < s.values().length; i++) {
                if (Double.isFinite(s.values()[i])) {
                    series.getData().add(new XYChart.Data<>(CompareCharts.TIMING_CATEGORIES.get(i), s.values()[i]));
                }
            }
            timing.getData().add(series);
        }
        charts.getChildren().add(timing);
        if (outcome.frames() > 1) {
            charts.getChildren().add(line("PSNR per frame (dB)", "frame", CompareCharts.frameLabels(
                    outcome.numbers()), List.of(CompareCharts.perFramePsnr(outcome.numbers()))));
        }
        LayerAccuracy layers = outcome.numbers().layers();
        if (!layers.isEmpty()) {
            charts.getChildren().add(line("Cosine similarity of B vs float64 reference, per layer", "layer",
                    layers.shortLabels(), CompareCharts.layerCosineLines(layers)));
            charts.getChildren().add(heatmap(layers));
        }
    }

    private static LineChart<String, Number> line(String title, String xLabel, List<String> x,
                                                  List<SvgCharts.Series> lines) {
        CategoryAxis xAxis = new CategoryAxis();
        xAxis.setLabel(xLabel);
        NumberAxis yAxis = new NumberAxis();
        yAxis.setForceZeroInRange(false);
        LineChart<String, Number> chart = new LineChart<>(xAxis, yAxis);
        chart.setTitle(title);
        chart.setAnimated(false);
        chart.setPrefHeight(280);
        for (SvgCharts.Series s : lines) {
            XYChart.Series<String, Number> series = new XYChart.Series<>();
            series.setName(s.name());
            for (int i = 0; i < s.values().length; i++) {
                if (Double.isFinite(s.values()[i])) {
                    series.getData().add(new XYChart.Data<>(x.get(i), s.values()[i]));
                }
            }
            chart.getData().add(series);
        }
        return chart;
    }

    /** Steps × layers, relative L1 of B vs the reference on a log colour scale, the worst cell framed. */
    private static Node heatmap(LayerAccuracy layers) {
        double[][] grid = CompareCharts.relativeL1Grid(layers);
        int cell = 36;
        int left = 70;
        Canvas canvas = new Canvas(left + cell * layers.layers().size() + 10, 24 * grid.length + 10);
        GraphicsContext g = canvas.getGraphicsContext2D();
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        for (double[] row : grid) {
            for (double v : row) {
                if (v > 0 && Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        for (int r = 0; r < grid.length; r++) {
            g.setFill(Color.BLACK);
            g.fillText(CompareCharts.stepLabel(layers.steps().get(r)), 4, 24 * r + 17);
            for (int c = 0; c < grid[r].length; c++) {
                double v = grid[r][c];
                int argb = Double.isNaN(v) ? 0xffdddddd : ColourScale.argb(hi > lo
                        ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : 0);
                g.setFill(Color.rgb(argb >> 16 & 0xff, argb >> 8 & 0xff, argb & 0xff));
                g.fillRect(left + c * cell, 24 * r, cell - 1, 23);
            }
        }
        LayerAccuracy.Cell w = layers.worst();
        if (w != null) {
            g.setStroke(Color.web("#00c0ff"));
            g.setLineWidth(3);
            g.strokeRect(left + w.layer() * cell, 24 * layers.steps().indexOf(w.step()), cell - 1, 23);
        }
        Label title = new Label(String.format(Locale.ROOT, "Relative L1 of B vs reference, sampled steps × layers (%s"
                + " to %s, log scale; worst framed)", SvgCharts.number(lo), SvgCharts.number(hi)));
        Label columns = new Label("layers: " + String.join(", ", layers.shortLabels()));
        columns.setWrapText(true);
        return new VBox(4, title, canvas, columns);
    }

    private void showLegend() {
        legend.getChildren().clear();
        for (ColourScale.Tick t : vm.legend()) {
            Region swatch = new Region();
            swatch.setMinSize(14, 14);
            swatch.setStyle("-fx-background-color: " + ColourScale.css(t.position()));
            legend.getChildren().addAll(swatch, new Label(SvgCharts.number(t.value())));
        }
    }

    private static Node captioned(Node image, String caption) {
        VBox box = new VBox(2, new Pane(image), new Label(caption));
        return box;
    }

    private static ImageView pixelated() {
        ImageView view = new ImageView();
        view.setPreserveRatio(true);
        view.setSmooth(false);
        return view;
    }

    private static Long parseLong(String text) {
        try {
            return Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
