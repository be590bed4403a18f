package dev.sagestudio.app.ui;

import dev.sagestudio.app.compare.SweepPlan;
import java.util.List;
import javafx.beans.binding.Bindings;
import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.TextField;
import javafx.scene.image.ImageView;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.VBox;

/**
 * The sweep screen on a {@link SweepViewModel}: the form (prompt, seeds or step counts), progress, and the grid
 * with column and row labels of only what differs, each cell's image, time and PSNR; the caption holds the rest.
 */
public final class SweepView {

    static final double CELL = 160;

    private final SweepViewModel vm;
    private final BorderPane root = new BorderPane();
    private final GridPane grid = new GridPane();

    public SweepView(SweepViewModel vm) {
        this.vm = vm;
        root.setTop(form());
        Label caption = new Label();
        caption.setId("sweep-caption");
        caption.setWrapText(true);
        caption.textProperty().bind(vm.captionProperty());
        grid.setHgap(8);
        grid.setVgap(8);
        VBox center = new VBox(8, caption, grid);
        center.setPadding(new Insets(8));
        root.setCenter(new ScrollPane(center));
        vm.cells().addListener((ListChangeListener<List<SweepViewModel.CellView>>) c -> showGrid());
        showGrid();
    }

    public Node node() {
        return root;
    }

    private Node form() {
        TextField prompt = ViewParts.promptField(vm.promptProperty());
        ComboBox<SweepPlan.Axis> axis = new ComboBox<>(javafx.collections.FXCollections.observableArrayList(
                SweepPlan.Axis.values()));
        axis.valueProperty().bindBidirectional(vm.axisProperty());
        axis.setConverter(new javafx.util.StringConverter<>() {
            @Override
            public String toString(SweepPlan.Axis value) {
                return value == null ? "" : value == SweepPlan.Axis.SEEDS ? "seeds" : "step counts";
            }

            @Override
            public SweepPlan.Axis fromString(String text) {
                return text.startsWith("step") ? SweepPlan.Axis.STEPS : SweepPlan.Axis.SEEDS;
            }
        });
        TextField values = new TextField();
        values.setPrefColumnCount(10);
        values.textProperty().bindBidirectional(vm.valuesProperty());
        Button run = new Button("Sweep");
        run.disableProperty().bind(vm.runningProperty());
        run.setOnAction(e -> vm.run());
        Button cancel = new Button("Cancel");
        cancel.disableProperty().bind(vm.runningProperty().not());
        cancel.setOnAction(e -> vm.cancel());
        Button export = new Button("Export image…");
        export.disableProperty().bind(Bindings.isEmpty(vm.cells()));
        export.setOnAction(e -> ViewParts.withFile(root, "sagestudio-sweep.png", true,
                file -> vm.exportImage(file.toPath())));
        Label backends = new Label();
        backends.textProperty().bind(Bindings.createStringBinding(() -> "Backends (reference first): "
                + String.join(", ", vm.backends()), vm.backends()));
        ComboBox<String> model = ViewParts.modelPicker(vm.modelProperty(), vm::say);
        HBox row = new HBox(6, new Label("Model"), model, new Label("Prompt"), prompt, new Label("Rows"), axis, values,
                run, cancel, export);
        row.setAlignment(Pos.CENTER_LEFT);
        return ViewParts.header(vm.progressProperty(), vm.statusProperty(), row, backends);
    }

    private void showGrid() {
        grid.getChildren().clear();
        for (int c = 0; c < vm.columnLabels().size(); c++) {
            Label label = new Label(vm.columnLabels().get(c));
            label.setStyle("-fx-font-weight: bold");
            grid.add(label, c + 1, 0);
        }
        for (int r = 0; r < vm.cells().size(); r++) {
            grid.add(new Label(vm.rowLabels().get(r)), 0, r + 1);
            List<SweepViewModel.CellView> row = vm.cells().get(r);
            for (int c = 0; c < row.size(); c++) {
                ImageView image = new ImageView(FxImages.of(row.get(c).image()));
                image.setSmooth(false);
                image.setPreserveRatio(true);
                image.setFitWidth(CELL);
                Label caption = new Label(row.get(c).caption());
                caption.getStyleClass().add("sweep-cell-caption");
                grid.add(new VBox(2, image, caption), c + 1, r + 1);
            }
        }
    }
}
