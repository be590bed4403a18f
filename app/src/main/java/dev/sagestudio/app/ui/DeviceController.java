package dev.sagestudio.app.ui;

import dev.sagestudio.app.service.DeviceReport;
import javafx.animation.Animation;
import javafx.animation.KeyFrame;
import javafx.animation.Timeline;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.fxml.FXML;
import javafx.scene.control.Label;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.layout.VBox;
import javafx.util.Duration;
import org.kordamp.ikonli.javafx.FontIcon;

/** Binds the device panel to its {@link DeviceViewModel}; refreshes every 2 s while the tab is shown. */
public final class DeviceController {
    private final DeviceViewModel vm;
    private final Timeline refresher;

    @FXML private FontIcon deviceIcon;
    @FXML private Label summaryLabel;
    @FXML private VBox whatToDoBox;
    @FXML private Label whatToDoLabel;
    @FXML private TableView<DeviceReport.Fact> factsTable;
    @FXML private TableColumn<DeviceReport.Fact, String> labelColumn;
    @FXML private TableColumn<DeviceReport.Fact, String> valueColumn;

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
        factsTable.setItems(vm.facts());
        labelColumn.setCellValueFactory(c -> new ReadOnlyStringWrapper(c.getValue().label()));
        valueColumn.setCellValueFactory(c -> new ReadOnlyStringWrapper(c.getValue().value()));
        valueColumn.setCellFactory(column -> new javafx.scene.control.TableCell<>() {
            private final Label text = new Label();

            {
                text.setWrapText(true);
                text.maxWidthProperty().bind(column.widthProperty().subtract(12));
            }

            @Override
            protected void updateItem(String value, boolean empty) {
                super.updateItem(value, empty);
                text.setText(value);
                setGraphic(empty ? null : text);
            }
        });
        vm.refresh();
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
