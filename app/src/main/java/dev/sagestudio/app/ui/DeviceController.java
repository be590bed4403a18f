package dev.sagestudio.app.ui;

import dev.sagestudio.app.doctor.Requirement;
import dev.sagestudio.app.service.DeviceReport;
import javafx.animation.Animation;
import javafx.animation.KeyFrame;
import javafx.animation.Timeline;
import javafx.fxml.FXML;
import javafx.scene.control.Label;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.VBox;
import javafx.util.Duration;
import org.kordamp.ikonli.javafx.FontIcon;

/**
 * Binds the device panel to its {@link DeviceViewModel}: the machine's facts and, as {@code sagestudio doctor} lists
 * them, the GPU path's requirements with what was found and what a missing one costs. Refreshes every 2 s while the
 * tab is shown.
 */
public final class DeviceController {
    private final DeviceViewModel vm;
    private final Timeline refresher;

    @FXML private FontIcon deviceIcon;
    @FXML private Label summaryLabel;
    @FXML private VBox whatToDoBox;
    @FXML private Label whatToDoLabel;
    @FXML private GridPane factsGrid;
    @FXML private GridPane gpuPathGrid;

    public DeviceController(DeviceViewModel vm) {
        this.vm = vm;
        refresher = new Timeline(new KeyFrame(Duration.seconds(2), e -> vm.refresh()));
        refresher.setCycleCount(Animation.INDEFINITE);
    }

    @FXML
    private void initialize() {
        summaryLabel.textProperty().bind(vm.summaryProperty());
        whatToDoLabel.textProperty().bind(vm.whatToDoProperty());
        whatToDoBox.visibleProperty().bind(vm.whatToDoProperty().isNotEmpty());
        whatToDoBox.managedProperty().bind(whatToDoBox.visibleProperty());
        vm.gpuAvailableProperty().addListener((obs, old, gpu) -> deviceIcon.setIconLiteral(gpu ? "fth-zap" : "fth-cpu"));
        vm.facts().addListener((javafx.collections.ListChangeListener<DeviceReport.Fact>) c -> showFacts());
        vm.gpuPath().addListener((javafx.collections.ListChangeListener<Requirement>) c -> showGpuPath());
        showFacts();
        showGpuPath();
        // the first probe waits until the tab is shown: it loads the CUDA and ONNX Runtime natives
    }

    private void showFacts() {
        factsGrid.getChildren().clear();
        int row = 0;
        for (DeviceReport.Fact fact : vm.facts()) {
            Label label = new Label(fact.label());
            label.getStyleClass().add("field-label");
            label.setMinWidth(javafx.scene.layout.Region.USE_PREF_SIZE);
            GridPane.setValignment(label, javafx.geometry.VPos.TOP);
            Label value = new Label(fact.value());
            value.setWrapText(true);
            factsGrid.addRow(row++, label, value);
        }
    }

    private void showGpuPath() {
        gpuPathGrid.getChildren().clear();
        int row = 0;
        for (Requirement requirement : vm.gpuPath()) {
            FontIcon mark = new FontIcon(requirement.met() ? "fth-check-circle" : "fth-x-circle");
            mark.getStyleClass().add(requirement.met() ? "requirement-met" : "requirement-missing");
            Label name = new Label(requirement.name());
            name.getStyleClass().add("field-label");
            name.setWrapText(true);
            Label found = new Label(requirement.found());
            found.setWrapText(true);
            VBox what = new VBox(2, found);
            if (!requirement.met()) {
                Label cost = new Label("Costs: " + requirement.cost());
                cost.setWrapText(true);
                cost.getStyleClass().add("requirement-cost");
                what.getChildren().add(cost);
            }
            for (javafx.scene.Node cell : new javafx.scene.Node[] {mark, name}) {
                GridPane.setValignment(cell, javafx.geometry.VPos.TOP);
            }
            gpuPathGrid.addRow(row++, mark, name, what);
        }
    }

    /** Starts or stops the periodic refresh as the tab is shown or hidden. */
    void setShown(boolean shown) {
        if (shown) {
            vm.refresh();
            refresher.play();
        } else {
            refresher.stop();
        }
    }

    @FXML
    private void refresh() {
        vm.refresh();
    }
}
