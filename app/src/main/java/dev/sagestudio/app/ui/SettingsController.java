package dev.sagestudio.app.ui;

import java.io.File;
import javafx.fxml.FXML;
import javafx.scene.control.CheckBox;
import javafx.scene.control.Label;
import javafx.scene.control.Spinner;
import javafx.scene.control.SpinnerValueFactory;
import javafx.scene.control.TextField;
import javafx.stage.DirectoryChooser;

/** Binds the Settings view to its {@link SettingsViewModel}. */
public final class SettingsController {
    private final SettingsViewModel vm;

    @FXML private TextField outputFolderField;
    @FXML private TextField defaultModelField;
    @FXML private Spinner<Integer> threadsSpinner;
    @FXML private Spinner<Integer> previewSpinner;
    @FXML private CheckBox darkThemeBox;
    @FXML private Label settingsFileLabel;

    // bidirectional bindings hold their ends weakly: the boxed views of the ViewModel's numbers must stay referenced
    private javafx.beans.property.ObjectProperty<Integer> threadsValue;
    private javafx.beans.property.ObjectProperty<Integer> previewValue;

    public SettingsController(SettingsViewModel vm) {
        this.vm = vm;
    }

    @FXML
    private void initialize() {
        outputFolderField.textProperty().bindBidirectional(vm.outputFolderProperty());
        defaultModelField.textProperty().bindBidirectional(vm.defaultModelProperty());
        var threads = new SpinnerValueFactory.IntegerSpinnerValueFactory(0, 256, vm.threadsProperty().get());
        threadsSpinner.setValueFactory(threads);
        threadsValue = vm.threadsProperty().asObject();
        threads.valueProperty().bindBidirectional(threadsValue);
        var preview = new SpinnerValueFactory.IntegerSpinnerValueFactory(0, 1000, vm.previewEveryProperty().get());
        previewSpinner.setValueFactory(preview);
        previewValue = vm.previewEveryProperty().asObject();
        preview.valueProperty().bindBidirectional(previewValue);
        darkThemeBox.selectedProperty().bindBidirectional(vm.darkThemeProperty());
        // the theme switches at once; saving makes it stay
        darkThemeBox.setOnAction(e -> vm.apply());
        settingsFileLabel.setText("Saved in " + vm.settingsFile());
    }

    @FXML
    private void chooseOutputFolder() {
        DirectoryChooser chooser = new DirectoryChooser();
        chooser.setTitle("Folder for results");
        File folder = chooser.showDialog(outputFolderField.getScene().getWindow());
        if (folder != null) {
            vm.outputFolderProperty().set(folder.getAbsolutePath());
        }
    }

    @FXML
    private void save() {
        vm.apply();
    }
}
