package dev.sagestudio.app.ui;

import dev.sagestudio.app.compare.SweepPlan;
import java.util.List;
import javafx.beans.binding.Bindings;
import javafx.collections.FXCollections;
import javafx.collections.ListChangeListener;
import javafx.fxml.FXML;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.TextField;
import javafx.scene.layout.BorderPane;
import javafx.util.StringConverter;

/** Binds the Sweep page (SweepView.fxml) to its {@link SweepViewModel}. */
public final class SweepController {

    private final SweepViewModel vm;

    @FXML private BorderPane sweepRoot;
    @FXML private ComboBox<String> sweepModelBox;
    @FXML private TextField sweepPromptField;
    @FXML private ComboBox<SweepPlan.Axis> axisBox;
    @FXML private TextField valuesField;
    @FXML private Button sweepRunButton;
    @FXML private Button sweepCancelButton;
    @FXML private Button sweepExportButton;
    @FXML private Label backendsLabel;
    @FXML private ProgressBar sweepProgressBar;
    @FXML private Label sweepStatusLabel;
    @FXML private Label captionLabel;
    @FXML private SweepGrid grid;

    public SweepController(SweepViewModel vm) {
        this.vm = vm;
    }

    @FXML
    private void initialize() {
        ViewParts.bindModelPicker(sweepModelBox, vm.modelProperty(), vm::say);
        sweepPromptField.textProperty().bindBidirectional(vm.promptProperty());
        axisBox.setItems(FXCollections.observableArrayList(SweepPlan.Axis.values()));
        axisBox.setConverter(new StringConverter<>() {
            @Override
            public String toString(SweepPlan.Axis value) {
                return value == null ? "" : value == SweepPlan.Axis.SEEDS ? "seeds" : "step counts";
            }

            @Override
            public SweepPlan.Axis fromString(String text) {
                return text.startsWith("step") ? SweepPlan.Axis.STEPS : SweepPlan.Axis.SEEDS;
            }
        });
        axisBox.valueProperty().bindBidirectional(vm.axisProperty());
        valuesField.textProperty().bindBidirectional(vm.valuesProperty());
        sweepRunButton.disableProperty().bind(vm.runningProperty());
        sweepCancelButton.disableProperty().bind(vm.runningProperty().not());
        sweepExportButton.disableProperty().bind(Bindings.isEmpty(vm.cells()));
        backendsLabel.textProperty().bind(Bindings.createStringBinding(() -> "Backends (reference first): "
                + String.join(", ", vm.backends()), vm.backends()));
        sweepProgressBar.progressProperty().bind(vm.progressProperty());
        sweepStatusLabel.textProperty().bind(vm.statusProperty());
        captionLabel.textProperty().bind(vm.captionProperty());
        vm.cells().addListener((ListChangeListener<List<SweepViewModel.CellView>>) c -> showGrid());
        showGrid();
    }

    private void showGrid() {
        grid.show(vm.columnLabels(), vm.rowLabels(), vm.cells());
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
    private void exportImage() {
        ViewParts.withFile(sweepRoot, "sagestudio-sweep.png", true, file -> vm.exportImage(file.toPath()));
    }
}
