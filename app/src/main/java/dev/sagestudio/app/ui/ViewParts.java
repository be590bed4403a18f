package dev.sagestudio.app.ui;

import java.io.File;
import java.io.IOException;
import javafx.beans.property.StringProperty;
import javafx.beans.value.ObservableNumberValue;
import javafx.beans.value.ObservableStringValue;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.control.Alert;
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
