package dev.sagestudio.app.ui;

import java.util.List;
import javafx.scene.control.Label;
import javafx.scene.image.ImageView;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.VBox;

/** A sweep's grid: column labels on top, row labels on the left, each cell's image over its caption. */
public final class SweepGrid extends GridPane {

    /** Shown width of a cell's image. */
    static final double CELL = 160;

    /** Shows the cells, [row][column], under {@code columns} and beside {@code rows}. */
    public void show(List<String> columns, List<String> rows, List<List<SweepViewModel.CellView>> cells) {
        getChildren().clear();
        for (int c = 0; c < columns.size(); c++) {
            Label label = new Label(columns.get(c));
            label.getStyleClass().add("field-label");
            add(label, c + 1, 0);
        }
        for (int r = 0; r < cells.size(); r++) {
            add(new Label(rows.get(r)), 0, r + 1);
            List<SweepViewModel.CellView> row = cells.get(r);
            for (int c = 0; c < row.size(); c++) {
                ImageView image = new ImageView(FxImages.of(row.get(c).image()));
                image.setSmooth(false);
                image.setPreserveRatio(true);
                image.setFitWidth(CELL);
                Label caption = new Label(row.get(c).caption());
                caption.getStyleClass().add("sweep-cell-caption");
                add(new VBox(2, image, caption), c + 1, r + 1);
            }
        }
    }
}
