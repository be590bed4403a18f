package dev.sagestudio.app.ui;

import dev.sagestudio.app.service.HistoryEntry;
import java.io.File;
import javafx.beans.binding.Bindings;
import javafx.fxml.FXML;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ListView;
import javafx.scene.control.Slider;
import javafx.scene.control.TextArea;
import javafx.scene.control.ToggleButton;
import javafx.scene.image.ImageView;
import javafx.scene.layout.HBox;
import javafx.stage.FileChooser;

/** Binds the History view to its {@link HistoryViewModel}. */
public final class HistoryController {
    private final HistoryViewModel vm;
    private Runnable onReloaded = () -> { };

    @FXML private Label folderLabel;
    @FXML private ListView<HistoryEntry> entryList;
    @FXML private ImageView entryPictureView;
    @FXML private Label emptyLabel;
    @FXML private HBox entryPlayerBar;
    @FXML private ToggleButton entryPlayButton;
    @FXML private Slider entryFrameSlider;
    @FXML private Label entryFrameLabel;
    @FXML private Button reloadButton;
    @FXML private Button exportButton;
    @FXML private Button revealButton;
    @FXML private Button deleteButton;
    @FXML private TextArea parametersArea;

    public HistoryController(HistoryViewModel vm) {
        this.vm = vm;
    }

    void setOnReloaded(Runnable action) {
        this.onReloaded = action;
    }

    @FXML
    private void initialize() {
        entryList.setItems(vm.entries());
        entryList.setPlaceholder(new Label("No results yet: everything you generate is saved here"));
        entryList.setCellFactory(list -> new ThumbnailCell(vm, 56, true));
        entryList.getSelectionModel().selectedItemProperty().addListener((obs, old, e) -> vm.selectedProperty().set(e));
        vm.selectedProperty().addListener((obs, old, e) -> {
            if (e != entryList.getSelectionModel().getSelectedItem()) {
                entryList.getSelectionModel().select(e);
                entryList.scrollTo(e);
            }
        });
        FramesPlayer player = new FramesPlayer(entryPictureView, entryPlayerBar, entryPlayButton, entryFrameSlider, entryFrameLabel);
        entryPictureView.setFitWidth(320);
        entryPictureView.setFitHeight(320);
        vm.selectedFramesProperty().addListener((obs, old, frames) -> player.show(frames));
        emptyLabel.visibleProperty().bind(vm.selectedFramesProperty().isNull());
        parametersArea.textProperty().bind(vm.selectedParametersProperty());
        var none = vm.selectedProperty().isNull();
        reloadButton.disableProperty().bind(none);
        exportButton.disableProperty().bind(none);
        revealButton.disableProperty().bind(none);
        deleteButton.disableProperty().bind(none);
        folderLabel.textProperty().bind(Bindings.createStringBinding(() -> vm.entries().size()
                + " result(s) in " + vm.folder(), vm.entries()));
    }

    @FXML
    private void reloadSettings() {
        vm.reloadSelected();
        onReloaded.run();
    }

    @FXML
    private void delete() {
        vm.deleteSelected();
    }

    @FXML
    private void reveal() {
        vm.revealSelected();
    }

    @FXML
    private void export() {
        HistoryEntry entry = vm.selectedProperty().get();
        if (entry == null) {
            return;
        }
        FileChooser chooser = new FileChooser();
        chooser.setTitle("Export as");
        if (entry.video()) {
            chooser.getExtensionFilters().addAll(new FileChooser.ExtensionFilter("MP4 video", "*.mp4"),
                    new FileChooser.ExtensionFilter("Animated GIF", "*.gif"),
                    new FileChooser.ExtensionFilter("First frame as PNG", "*.png"));
        } else {
            chooser.getExtensionFilters().addAll(new FileChooser.ExtensionFilter("JPEG", "*.jpg"),
                    new FileChooser.ExtensionFilter("PNG with parameters", "*.png"),
                    new FileChooser.ExtensionFilter("BMP", "*.bmp"));
        }
        String base = entry.file().substring(0, entry.file().lastIndexOf('.'));
        chooser.setInitialFileName(base + (entry.video() ? ".mp4" : ".jpg"));
        File target = chooser.showSaveDialog(entryList.getScene().getWindow());
        if (target != null) {
            vm.exportSelected(target.toPath(), () -> { });
        }
    }
}
