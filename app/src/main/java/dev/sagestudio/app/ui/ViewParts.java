package dev.sagestudio.app.ui;

import dev.sagestudio.app.service.BundledModels;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.StringProperty;
import javafx.beans.value.ObservableNumberValue;
import javafx.beans.value.ObservableStringValue;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.collections.FXCollections;
import javafx.scene.control.Alert;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.TextField;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import javafx.stage.FileChooser;

/** Pieces the compare, sweep and benchmark screens share. */
final class ViewParts {

    private ViewParts() {
    }

    /** A prompt field bound to {@code prompt}, growing with its row. */
    static TextField promptField(StringProperty prompt) {
        TextField field = new TextField();
        field.setPromptText("Prompt");
        field.textProperty().bindBidirectional(prompt);
        HBox.setHgrow(field, Priority.ALWAYS);
        return field;
    }

    /**
     * An editable model picker (bundled names, or a bundle folder typed in) that sets {@code model} to the bundle's
     * folder, or says in {@code problem} why it cannot; starts on the bundled image model when that is found. A model
     * set on {@code model} from elsewhere is shown (by its bundled name, else its folder).
     */
    static ComboBox<String> modelPicker(ObjectProperty<Path> model, Consumer<String> problem) {
        ComboBox<String> box = new ComboBox<>(FXCollections.observableArrayList(BundledModels.NAMES));
        box.setEditable(true);
        box.valueProperty().addListener((o, was, now) -> {
            try {
                model.set(now == null || now.isBlank() ? null : BundledModels.resolve(now.trim()));
            } catch (IllegalArgumentException e) {
                model.set(null);
                problem.accept(e.getMessage());
            }
        });
        model.addListener((o, was, now) -> showModel(box, now));
        showModel(box, model.get());
        if (model.get() == null) {
            try {
                BundledModels.resolve(BundledModels.NAMES.get(0));
                box.setValue(BundledModels.NAMES.get(0));
            } catch (IllegalArgumentException notInstalled) {
                // no bundled models here: the picker starts empty and the run button says to pick one
            }
        }
        return box;
    }

    private static void showModel(ComboBox<String> box, Path folder) {
        if (folder == null) {
            return;
        }
        String shown = BundledModels.NAMES.stream().filter(name -> isFolderOf(name, folder)).findFirst()
                .orElse(folder.toString());
        if (!shown.equals(box.getValue())) {
            box.setValue(shown);
        }
    }

    private static boolean isFolderOf(String bundledName, Path folder) {
        try {
            return BundledModels.resolve(bundledName).toAbsolutePath().normalize()
                    .equals(folder.toAbsolutePath().normalize());
        } catch (IllegalArgumentException notInstalled) {
            return false;
        }
    }

    /** The top of a screen: its control rows, then the job's progress bar and status line. */
    static Node header(ObservableNumberValue progress, ObservableStringValue status, Node... rows) {
        ProgressBar bar = new ProgressBar();
        bar.progressProperty().bind(progress);
        bar.setPrefWidth(200);
        Label line = new Label();
        line.textProperty().bind(status);
        HBox state = new HBox(8, bar, line);
        state.setAlignment(Pos.CENTER_LEFT);
        VBox box = new VBox(6, rows);
        box.getChildren().add(state);
        box.setPadding(new Insets(8));
        return box;
    }

    /** Something that reads or writes a chosen file. */
    @FunctionalInterface
    interface FileAction {
        void apply(File file) throws IOException;
    }

    /** Asks for a file (to save, or to open) and applies {@code action}; a failure is shown, not thrown. */
    static void withFile(Node owner, String initialName, boolean save, FileAction action) {
        FileChooser chooser = new FileChooser();
        chooser.setInitialFileName(initialName);
        var window = owner.getScene() == null ? null : owner.getScene().getWindow();
        File file = save ? chooser.showSaveDialog(window) : chooser.showOpenDialog(window);
        if (file == null) {
            return;
        }
        try {
            action.apply(file);
        } catch (IOException | RuntimeException e) {
            new Alert(Alert.AlertType.ERROR, (save ? "Could not write " : "Could not read ") + file + ": "
                    + e.getMessage()).show();
        }
    }
}
