package dev.sagestudio.app.ui;

import dev.sagestudio.app.service.BundledModels;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;
import javafx.beans.property.ObjectProperty;
import javafx.scene.Node;
import javafx.collections.FXCollections;
import javafx.scene.control.Alert;
import javafx.scene.control.ComboBox;
import javafx.stage.FileChooser;

/** Pieces the compare, sweep and benchmark screens share. */
final class ViewParts {

    private ViewParts() {
    }

    /**
     * Makes {@code box} an editable model picker (bundled names, or a bundle folder typed in) that sets {@code model}
     * to the bundle's folder, or says in {@code problem} why it cannot; starts on the bundled image model when that is
     * found. A model set on {@code model} from elsewhere is shown (by its bundled name, else its folder).
     */
    static void bindModelPicker(ComboBox<String> box, ObjectProperty<Path> model, Consumer<String> problem) {
        box.setItems(FXCollections.observableArrayList(BundledModels.NAMES));
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

    /** Shows {@code node} (and gives it room) only while {@code shown} holds. */
    static void showWhen(Node node, javafx.beans.value.ObservableBooleanValue shown) {
        node.visibleProperty().bind(shown);
        node.managedProperty().bind(node.visibleProperty());
    }

    /** The number typed, or null when it is not one. */
    static Long parseLong(String text) {
        try {
            return Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
