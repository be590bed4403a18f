package dev.sagestudio.app.ui;

import java.util.List;
import javafx.geometry.Pos;
import javafx.scene.control.Label;
import javafx.scene.layout.GridPane;

/** A table of numbers under muted headings: the first column reads left to right, the others line up on the right. */
public final class NumberTable extends GridPane {

    /** Shows {@code rows} (each as long as {@code headings}) under {@code headings}. */
    public void show(List<String> headings, List<List<String>> rows) {
        getChildren().clear();
        for (int c = 0; c < headings.size(); c++) {
            Label heading = new Label(headings.get(c));
            heading.getStyleClass().add("text-muted");
            add(heading, c, 0);
        }
        for (int r = 0; r < rows.size(); r++) {
            for (int c = 0; c < rows.get(r).size(); c++) {
                Label cell = new Label(rows.get(r).get(c));
                if (c > 0) {
                    cell.setMaxWidth(Double.MAX_VALUE);
                    cell.setAlignment(Pos.CENTER_RIGHT);
                    GridPane.setFillWidth(cell, true);
                }
                add(cell, c, r + 1);
            }
        }
    }
}
