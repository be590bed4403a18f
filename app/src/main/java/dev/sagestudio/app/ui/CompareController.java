package dev.sagestudio.app.ui;

import dev.sagestudio.app.compare.ColourScale;
import dev.sagestudio.app.compare.CompareCharts;
import dev.sagestudio.app.compare.CompareOutcome;
import dev.sagestudio.app.compare.SvgCharts;
import java.util.List;
import java.util.Locale;
import javafx.animation.Animation;
import javafx.animation.KeyFrame;
import javafx.animation.Timeline;
import javafx.beans.binding.Bindings;
import javafx.collections.ListChangeListener;
import javafx.fxml.FXML;
import javafx.scene.Node;
import javafx.scene.chart.BarChart;
import javafx.scene.chart.LineChart;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.Slider;
import javafx.scene.control.TextField;
import javafx.scene.control.ToggleButton;
import javafx.scene.image.ImageView;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyEvent;
import javafx.scene.input.MouseEvent;
import javafx.scene.input.ScrollEvent;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import javafx.scene.shape.Line;
import javafx.scene.shape.Rectangle;
import javafx.util.Duration;
import org.kordamp.ikonli.javafx.FontIcon;

/**
 * Binds the A/B page (CompareView.fxml) to its {@link CompareViewModel}: the form, the mode panes with shared zoom and
 * pan, the flicker and playback clocks, the metrics and the charts. Shows things; the numbers come from the model.
 */
public final class CompareController {

    /** Shown size of an output at zoom 1; small models make small images, enlarged without smoothing. */
    static final double SHOWN = 256;

    private final CompareViewModel vm;
    private final Timeline flickerClock = new Timeline();
    private final Timeline playClock = new Timeline();

    @FXML private BorderPane compareRoot;
    @FXML private ComboBox<String> compareModelBox;
    @FXML private TextField comparePromptField;
    @FXML private TextField compareSeedField;
    @FXML private ComboBox<String> backendABox;
    @FXML private ComboBox<String> backendBBox;
    @FXML private Button compareButton;
    @FXML private Button compareCancelButton;
    @FXML private Button compareExportButton;
    @FXML private ProgressBar compareProgressBar;
    @FXML private Label compareStatusLabel;
    @FXML private ScrollPane scroll;
    @FXML private ToggleButton sideBySideButton;
    @FXML private ToggleButton wipeButton;
    @FXML private ToggleButton flickerButton;
    @FXML private ToggleButton differenceButton;
    @FXML private Slider gainSlider;
    @FXML private Label gainLabel;
    @FXML private Slider wipeSlider;
    @FXML private Slider flickerSlider;
    @FXML private Slider zoomSlider;
    @FXML private StackPane outputStage;
    @FXML private HBox sideBySidePane;
    @FXML private VBox wipePane;
    @FXML private VBox flickerPane;
    @FXML private VBox differencePane;
    @FXML private ImageView imageA;
    @FXML private ImageView imageB;
    @FXML private ImageView wipeA;
    @FXML private ImageView wipeB;
    @FXML private Line wipeDivider;
    @FXML private ImageView flickerImage;
    @FXML private ImageView differenceImage;
    @FXML private ColourLegend legend;
    @FXML private HBox frameBar;
    @FXML private ToggleButton comparePlayButton;
    @FXML private Slider compareFrameSlider;
    @FXML private Label framePsnrLabel;
    @FXML private LineChart<String, Number> framePsnrChart;
    @FXML private Label verdictLabel;
    @FXML private Label psnrLabel;
    @FXML private Label ssimLabel;
    @FXML private Label cosineLabel;
    @FXML private Label maxAbsLabel;
    @FXML private Label speedupsLabel;
    @FXML private Label worstLayerLabel;
    @FXML private VBox chartsBox;
    @FXML private BarChart<String, Number> timingChart;
    @FXML private LineChart<String, Number> layerChart;
    @FXML private StepLayerHeatmap heatmap;

    public CompareController(CompareViewModel vm) {
        this.vm = vm;
    }

    @FXML
    private void initialize() {
        bindForm();
        bindModes();
        bindImages();
        bindFrames();
        bindNumbers();
        showMode();
    }

    private void bindForm() {
        ViewParts.bindModelPicker(compareModelBox, vm.modelProperty(), vm::say);
        comparePromptField.textProperty().bindBidirectional(vm.promptProperty());
        compareSeedField.setText(String.valueOf(vm.seedProperty().get()));
        compareSeedField.textProperty().addListener((o, was, now) -> vm.seedProperty().set(ViewParts.parseLong(now)));
        backendABox.setItems(vm.backendChoices());
        backendABox.valueProperty().bindBidirectional(vm.backendAProperty());
        backendBBox.setItems(vm.backendChoices());
        backendBBox.valueProperty().bindBidirectional(vm.backendBProperty());
        compareButton.disableProperty().bind(vm.runningProperty());
        compareCancelButton.disableProperty().bind(vm.runningProperty().not());
        compareExportButton.disableProperty().bind(vm.outcomeProperty().isNull());
        compareProgressBar.progressProperty().bind(vm.progressProperty());
        compareStatusLabel.textProperty().bind(vm.statusProperty());
    }

    private void bindModes() {
        List<ToggleButton> buttons = List.of(sideBySideButton, wipeButton, flickerButton, differenceButton);
        CompareViewModel.Mode[] modes = CompareViewModel.Mode.values();
        for (int i = 0; i < modes.length; i++) {
            CompareViewModel.Mode mode = modes[i];
            buttons.get(i).setText(mode.label());
            buttons.get(i).setOnAction(e -> vm.modeProperty().set(mode));
        }
        vm.modeProperty().addListener((o, was, now) -> showMode());
        // the slider is log10 of the gain: 1× to 10 000×
        gainSlider.setValue(Math.log10(Math.max(1, vm.gainProperty().get())));
        gainSlider.valueProperty().addListener((o, was, now) -> vm.gainProperty().set(Math.pow(10,
                now.doubleValue())));
        vm.gainProperty().addListener((o, was, now) -> gainSlider.setValue(Math.log10(now.doubleValue())));
        gainLabel.textProperty().bind(Bindings.createStringBinding(() -> String.format(Locale.ROOT, "gain %s×",
                SvgCharts.number(vm.gainProperty().get())), vm.gainProperty()));
        wipeSlider.valueProperty().bindBidirectional(vm.wipePositionProperty());
        flickerSlider.valueProperty().bindBidirectional(vm.flickerHzProperty());
        zoomSlider.valueProperty().bindBidirectional(vm.zoomProperty());
        vm.flickerHzProperty().addListener((o, was, now) -> restartFlicker());
    }

    private void bindImages() {
        imageA.imageProperty().bind(Bindings.createObjectBinding(() -> FxImages.of(vm.imageAProperty().get()),
                vm.imageAProperty()));
        imageB.imageProperty().bind(Bindings.createObjectBinding(() -> FxImages.of(vm.imageBProperty().get()),
                vm.imageBProperty()));
        wipeA.imageProperty().bind(imageA.imageProperty());
        wipeB.imageProperty().bind(imageB.imageProperty());
        flickerImage.imageProperty().bind(Bindings.when(vm.flickerShowsAProperty()).then(imageA.imageProperty())
                .otherwise(imageB.imageProperty()));
        differenceImage.imageProperty().bind(Bindings.createObjectBinding(
                () -> FxImages.of(vm.differenceImageProperty().get()), vm.differenceImageProperty()));
        for (ImageView view : List.of(imageA, imageB, wipeA, wipeB, flickerImage, differenceImage)) {
            view.fitWidthProperty().bind(vm.zoomProperty().multiply(SHOWN));
            view.translateXProperty().bind(vm.panXProperty());
            view.translateYProperty().bind(vm.panYProperty());
        }
        Rectangle clip = new Rectangle();
        clip.heightProperty().bind(wipeA.fitWidthProperty().multiply(4));
        clip.widthProperty().bind(vm.wipePositionProperty().multiply(wipeA.fitWidthProperty()));
        wipeA.setClip(clip);
        wipeDivider.startXProperty().bind(vm.wipePositionProperty().multiply(wipeA.fitWidthProperty())
                .add(vm.panXProperty()));
        wipeDivider.endXProperty().bind(wipeDivider.startXProperty());
        wipeDivider.startYProperty().bind(vm.panYProperty());
        wipeDivider.endYProperty().bind(wipeA.fitWidthProperty().add(vm.panYProperty()));
        outputStage.setMinHeight(SHOWN + 40);
        vm.legend().addListener((ListChangeListener<ColourScale.Tick>) c -> legend.show(vm.legend()));
        legend.show(vm.legend());
    }

    private void bindFrames() {
        vm.outcomeProperty().addListener((o, was, now) -> {
            comparePlayButton.setSelected(false);
            compareFrameSlider.setMax(now == null ? 0 : now.frames() - 1);
        });
        compareFrameSlider.valueProperty().addListener((o, was, now) -> vm.frameProperty().set((int) Math.round(
                now.doubleValue())));
        compareFrameSlider.setOnMousePressed(e -> comparePlayButton.setSelected(false));
        vm.frameProperty().addListener((o, was, now) -> compareFrameSlider.setValue(now.intValue()));
        framePsnrLabel.textProperty().bind(vm.framePsnrProperty());
        ViewParts.showWhen(frameBar, Bindings.createBooleanBinding(() -> isClip(vm.outcomeProperty().get()),
                vm.outcomeProperty()));
        ViewParts.showWhen(framePsnrChart, Bindings.isNotEmpty(vm.framePsnrLine()));
        vm.framePsnrLine().addListener((ListChangeListener<SvgCharts.Series>) c ->
                ChartData.show(framePsnrChart, vm.frameLabels(), vm.framePsnrLine()));
        // both clips play in lockstep: one clock sets the one frame both panes show
        comparePlayButton.selectedProperty().addListener((o, was, playing) -> {
            comparePlayButton.setGraphic(new FontIcon(playing ? "fth-pause" : "fth-play"));
            playClock.stop();
            CompareOutcome outcome = vm.outcomeProperty().get();
            if (playing && isClip(outcome)) {
                long started = System.nanoTime() - (long) (vm.frameProperty().get() / (double) outcome.fps() * 1e9);
                playClock.getKeyFrames().setAll(new KeyFrame(Duration.millis(1000.0 / outcome.fps()),
                        e -> vm.frameProperty().set(vm.frameAt((System.nanoTime() - started) / 1e9))));
                playClock.setCycleCount(Animation.INDEFINITE);
                playClock.play();
            }
        });
    }

    private void bindNumbers() {
        psnrLabel.textProperty().bind(vm.psnrProperty());
        ssimLabel.textProperty().bind(vm.ssimProperty());
        cosineLabel.textProperty().bind(vm.cosineProperty());
        maxAbsLabel.textProperty().bind(vm.maxAbsProperty());
        verdictLabel.textProperty().bind(vm.verdictProperty());
        speedupsLabel.textProperty().bind(vm.speedupsProperty());
        worstLayerLabel.textProperty().bind(vm.worstLayerProperty());
        ViewParts.showWhen(chartsBox, vm.outcomeProperty().isNotNull());
        vm.timingBars().addListener((ListChangeListener<SvgCharts.Series>) c ->
                ChartData.show(timingChart, CompareCharts.TIMING_CATEGORIES, vm.timingBars()));
        vm.layerLines().addListener((ListChangeListener<SvgCharts.Series>) c ->
                ChartData.show(layerChart, vm.layerLabels(), vm.layerLines()));
        ViewParts.showWhen(layerChart, Bindings.isNotEmpty(vm.layerLines()));
        vm.layersProperty().addListener((o, was, now) -> heatmap.show(now));
        ViewParts.showWhen(heatmap, Bindings.isNotEmpty(vm.layerLines()));
        ChartData.show(timingChart, CompareCharts.TIMING_CATEGORIES, vm.timingBars());
        ChartData.show(layerChart, vm.layerLabels(), vm.layerLines());
        ChartData.show(framePsnrChart, vm.frameLabels(), vm.framePsnrLine());
        heatmap.show(vm.layersProperty().get());
    }

    private static boolean isClip(CompareOutcome outcome) {
        return outcome != null && outcome.frames() > 1;
    }

    private void showMode() {
        CompareViewModel.Mode mode = vm.modeProperty().get();
        List<Node> panes = List.of(sideBySidePane, wipePane, flickerPane, differencePane);
        List<ToggleButton> buttons = List.of(sideBySideButton, wipeButton, flickerButton, differenceButton);
        for (int i = 0; i < panes.size(); i++) {
            panes.get(i).setVisible(i == mode.ordinal());
            buttons.get(i).setSelected(i == mode.ordinal());
        }
        restartFlicker();
        compareRoot.requestFocus();
    }

    private void restartFlicker() {
        flickerClock.stop();
        flickerClock.getKeyFrames().setAll(new KeyFrame(Duration.seconds(1 / (2 * vm.flickerHzProperty().get())),
                e -> vm.flickerTick()));
        flickerClock.setCycleCount(Animation.INDEFINITE);
        if (vm.modeProperty().get() == CompareViewModel.Mode.FLICKER) {
            flickerClock.play();
        }
    }

    @FXML
    private void keyPressed(KeyEvent e) {
        if (e.getCode() == KeyCode.RIGHT) {
            vm.nextMode();
            e.consume();
        } else if (e.getCode() == KeyCode.LEFT) {
            vm.previousMode();
            e.consume();
        }
    }

    @FXML
    private void pan(MouseEvent e) {
        vm.panXProperty().set(e.getX() - SHOWN / 2);
        vm.panYProperty().set(e.getY() - SHOWN / 2);
    }

    @FXML
    private void zoom(ScrollEvent e) {
        vm.zoomProperty().set(Math.max(0.5, Math.min(4, vm.zoomProperty().get() * (e.getDeltaY() > 0 ? 1.1
                : 1 / 1.1))));
        e.consume();
    }

    @FXML
    private void compare() {
        vm.compare();
    }

    @FXML
    private void cancel() {
        vm.cancel();
    }

    @FXML
    private void exportReport() {
        ViewParts.withFile(compareRoot, "sagestudio-compare.html", true, file -> vm.exportReport(file.toPath()));
    }

    /** The page's scroll pane (the screenshot tour scrolls the charts into view). */
    ScrollPane scrollPane() {
        return scroll;
    }
}
