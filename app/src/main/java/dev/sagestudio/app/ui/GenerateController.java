package dev.sagestudio.app.ui;

import dev.sagestudio.app.service.BackendOption;
import dev.sagestudio.app.service.HistoryEntry;
import dev.sagestudio.app.service.ModelInfo;
import dev.sagestudio.app.service.RunReport;
import java.io.File;
import java.util.function.Consumer;
import javafx.beans.binding.Bindings;
import javafx.fxml.FXML;
import javafx.scene.control.Button;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.ListView;
import javafx.scene.control.MenuButton;
import javafx.scene.control.MenuItem;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.Slider;
import javafx.scene.control.Spinner;
import javafx.scene.control.SpinnerValueFactory;
import javafx.scene.control.TextArea;
import javafx.scene.control.TextField;
import javafx.scene.control.TextFormatter;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.Tooltip;
import javafx.scene.image.ImageView;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import javafx.stage.DirectoryChooser;
import javafx.util.converter.LongStringConverter;
import org.kordamp.ikonli.javafx.FontIcon;

/** Binds the Generate view to its {@link GenerateViewModel}; no logic of its own beyond showing things. */
public final class GenerateController {
    private static final double PICTURE_SIZE = 384;

    private final GenerateViewModel vm;
    private final HistoryViewModel history;
    private Consumer<HistoryEntry> onOpenEntry = entry -> { };

    @FXML private MenuButton recentPromptsButton;
    @FXML private TextArea promptArea;
    @FXML private TextArea negativePromptArea;
    @FXML private ComboBox<ModelInfo> modelBox;
    @FXML private Label modelShapeLabel;
    @FXML private ComboBox<BackendOption> backendBox;
    @FXML private Label backendInfoLabel;
    @FXML private ChoiceBox<SeedMode> seedModeBox;
    @FXML private TextField seedField;
    @FXML private Spinner<Integer> stepsSpinner;
    @FXML private Spinner<Double> guidanceSpinner;
    @FXML private ComboBox<String> samplerBox;
    @FXML private Button generateButton;
    @FXML private Button cancelButton;
    @FXML private ListView<QueuedJob> queueList;
    @FXML private Button moveUpButton;
    @FXML private Button moveDownButton;
    @FXML private Button removeJobButton;
    @FXML private StackPane pictureFrame;
    @FXML private ImageView pictureView;
    @FXML private Label emptyPictureLabel;
    @FXML private HBox playerBar;
    @FXML private ToggleButton playButton;
    @FXML private Slider frameSlider;
    @FXML private Label frameLabel;
    @FXML private ProgressBar progressBar;
    @FXML private Label stepLabel;
    @FXML private Label speedLabel;
    @FXML private VBox whatRanBox;
    @FXML private GridPane whatRanGrid;
    @FXML private VBox warningBadges;
    @FXML private Label whatRanSummary;
    @FXML private Label whatRanNotes;
    @FXML private ListView<HistoryEntry> thumbnailStrip;

    private FramesPlayer player;
    // bidirectional bindings hold their ends weakly: the boxed views of the ViewModel's numbers must stay referenced
    private javafx.beans.property.ObjectProperty<Integer> stepsValue;
    private javafx.beans.property.ObjectProperty<Double> guidanceValue;

    public GenerateController(GenerateViewModel vm, HistoryViewModel history) {
        this.vm = vm;
        this.history = history;
    }

    void setOnOpenEntry(Consumer<HistoryEntry> action) {
        this.onOpenEntry = action;
    }

    @FXML
    private void initialize() {
        promptArea.textProperty().bindBidirectional(vm.promptProperty());
        negativePromptArea.textProperty().bindBidirectional(vm.negativePromptProperty());
        vm.recentPrompts().addListener((javafx.collections.ListChangeListener<String>) c -> fillRecentPrompts());
        fillRecentPrompts();

        modelBox.setItems(vm.models());
        modelBox.valueProperty().bindBidirectional(vm.modelProperty());
        modelBox.setCellFactory(list -> new ModelCell());
        modelBox.setButtonCell(new ModelCell());
        modelShapeLabel.textProperty().bind(vm.modelShapeProperty());

        backendBox.setItems(vm.backends());
        backendBox.valueProperty().bindBidirectional(vm.backendProperty());
        backendBox.setCellFactory(list -> new BackendCell());
        backendBox.setButtonCell(new BackendCell());
        backendInfoLabel.textProperty().bind(vm.backendAvailabilityProperty());

        seedModeBox.getItems().setAll(SeedMode.values());
        seedModeBox.valueProperty().bindBidirectional(vm.seedModeProperty());
        TextFormatter<Long> seedFormatter = new TextFormatter<>(new LongStringConverter(), vm.seedProperty().get(),
                change -> change.getControlNewText().matches("\\d{0,18}") ? change : null);
        seedField.setTextFormatter(seedFormatter);
        seedFormatter.valueProperty().addListener((obs, old, v) -> {
            if (v != null) {
                vm.seedProperty().set(v);
            }
        });
        vm.seedProperty().addListener((obs, old, v) -> seedFormatter.setValue(v.longValue()));
        seedField.disableProperty().bind(vm.seedModeProperty().isEqualTo(SeedMode.RANDOM));

        var stepsFactory = new SpinnerValueFactory.IntegerSpinnerValueFactory(1, 1000, vm.stepsProperty().get());
        stepsSpinner.setValueFactory(stepsFactory);
        stepsValue = vm.stepsProperty().asObject();
        stepsFactory.valueProperty().bindBidirectional(stepsValue);
        var guidanceFactory = new SpinnerValueFactory.DoubleSpinnerValueFactory(1, 30, vm.guidanceProperty().get(),
                0.5);
        guidanceSpinner.setValueFactory(guidanceFactory);
        guidanceValue = vm.guidanceProperty().asObject();
        guidanceFactory.valueProperty().bindBidirectional(guidanceValue);
        samplerBox.setItems(vm.samplers());
        samplerBox.valueProperty().bindBidirectional(vm.samplerProperty());

        cancelButton.disableProperty().bind(vm.runningProperty().not().or(vm.cancellingProperty()));
        queueList.setItems(vm.queue());
        queueList.setCellFactory(list -> new ListCell<>() {
            @Override
            protected void updateItem(QueuedJob job, boolean empty) {
                super.updateItem(job, empty);
                setText(empty || job == null ? null : job.label());
            }
        });
        queueList.setPlaceholder(new Label("No jobs waiting"));
        var noJobSelected = queueList.getSelectionModel().selectedItemProperty().isNull();
        moveUpButton.disableProperty().bind(noJobSelected);
        moveDownButton.disableProperty().bind(noJobSelected);
        removeJobButton.disableProperty().bind(noJobSelected);

        player = new FramesPlayer(pictureView, playerBar, playButton, frameSlider, frameLabel);
        pictureView.fitWidthProperty().bind(Bindings.min(PICTURE_SIZE, pictureFrame.widthProperty().subtract(16)));
        pictureView.fitHeightProperty().bind(Bindings.min(PICTURE_SIZE, pictureFrame.heightProperty().subtract(16)));
        vm.shownFramesProperty().addListener((obs, old, frames) -> player.show(frames));
        emptyPictureLabel.visibleProperty().bind(vm.shownFramesProperty().isNull());
        progressBar.progressProperty().bind(vm.progressProperty());
        stepLabel.textProperty().bind(vm.stepTextProperty());
        speedLabel.textProperty().bind(vm.speedTextProperty());

        vm.reportProperty().addListener((obs, old, report) -> showReport(report));
        showReport(null);

        thumbnailStrip.setItems(history.entries());
        thumbnailStrip.setCellFactory(list -> new ThumbnailCell(history, 72, false));
        thumbnailStrip.setPlaceholder(new Label("Results appear here; every one is saved in the output folder"));
        thumbnailStrip.setOnMouseClicked(e -> {
            HistoryEntry entry = thumbnailStrip.getSelectionModel().getSelectedItem();
            if (entry != null && e.getClickCount() == 2) {
                onOpenEntry.accept(entry);
            }
        });
    }

    private void fillRecentPrompts() {
        recentPromptsButton.getItems().clear();
        for (String p : vm.recentPrompts()) {
            MenuItem item = new MenuItem(p.length() > 60 ? p.substring(0, 59) + "…" : p);
            item.setOnAction(e -> vm.promptProperty().set(p));
            recentPromptsButton.getItems().add(item);
        }
        recentPromptsButton.setDisable(vm.recentPrompts().isEmpty());
    }

    private void showReport(RunReport report) {
        whatRanGrid.getChildren().clear();
        warningBadges.getChildren().clear();
        if (report == null) {
            whatRanSummary.setText(vm.runningProperty().get() ? "Shown when the run finishes."
                    : "Nothing has run yet.");
            whatRanNotes.setText("");
            return;
        }
        whatRanGrid.addRow(0, header("Attention nodes"), header("Requested"), header("Ran"));
        int row = 1;
        for (RunReport.NodeGroupRun g : report.groups()) {
            whatRanGrid.addRow(row++, new Label(g.group()), new Label(g.requested()), new Label(g.ran()));
        }
        for (String warning : report.warnings()) {
            Label badge = new Label("FALLBACK: " + warning, new FontIcon("fth-alert-triangle"));
            badge.getStyleClass().add("warning-badge");
            badge.setWrapText(true);
            badge.setTooltip(new Tooltip(warning));
            warningBadges.getChildren().add(badge);
        }
        whatRanSummary.setText(GenerateViewModel.summary(report));
        whatRanNotes.setText(String.join("\n", report.notes()));
    }

    private static Label header(String text) {
        Label l = new Label(text);
        l.getStyleClass().add("text-muted");
        return l;
    }

    @FXML
    private void generate() {
        vm.generate();
    }

    @FXML
    private void cancel() {
        vm.cancel();
    }

    @FXML
    private void addModelFolder() {
        DirectoryChooser chooser = new DirectoryChooser();
        chooser.setTitle("Choose a model folder (with model.json)");
        File folder = chooser.showDialog(promptArea.getScene().getWindow());
        if (folder != null) {
            vm.addModelFolder(folder.toPath());
        }
    }

    @FXML
    private void moveJobUp() {
        moveSelectedJob(-1);
    }

    @FXML
    private void moveJobDown() {
        moveSelectedJob(1);
    }

    private void moveSelectedJob(int direction) {
        QueuedJob job = queueList.getSelectionModel().getSelectedItem();
        if (job != null) {
            vm.moveJob(job, direction);
            queueList.getSelectionModel().select(job);
        }
    }

    @FXML
    private void removeJob() {
        QueuedJob job = queueList.getSelectionModel().getSelectedItem();
        if (job != null) {
            vm.removeJob(job);
        }
    }

    private static final class ModelCell extends ListCell<ModelInfo> {
        @Override
        protected void updateItem(ModelInfo m, boolean empty) {
            super.updateItem(m, empty);
            if (empty || m == null) {
                setText(null);
                setGraphic(null);
            } else {
                setText(m.displayName() + (m.bundled() ? "" : " (added)"));
                setGraphic(new FontIcon(m.video() ? "fth-film" : "fth-image"));
                setTooltip(new Tooltip(m.folder() + "\n" + m.shapeText()));
            }
        }
    }

    /** A backend in the picker: unavailable ones greyed out, not selectable, with the reason as tooltip. */
    private static final class BackendCell extends ListCell<BackendOption> {
        @Override
        protected void updateItem(BackendOption b, boolean empty) {
            super.updateItem(b, empty);
            getStyleClass().remove("backend-unavailable");
            if (empty || b == null) {
                setText(null);
                setGraphic(null);
                setTooltip(null);
                setDisable(false);
            } else {
                setText(b.name() + (b.gpu() ? "  (GPU)" : ""));
                setGraphic(new FontIcon(b.gpu() ? "fth-zap" : "fth-cpu"));
                setTooltip(new Tooltip(b.availabilityText()));
                setDisable(!b.available());
                if (!b.available()) {
                    getStyleClass().add("backend-unavailable");
                }
            }
        }
    }
}
