package dev.sagestudio.app.ui;

import java.util.List;
import javafx.geometry.Pos;
import javafx.scene.control.Label;
import javafx.scene.layout.GridPane;

/** A table under muted headings: its leading text columns read left to right, the numbers after them line up right. */
public final class NumberTable extends GridPane {

    /** Shows {@code rows} (each as long as {@code headings}) under {@code headings}; the first {@code texts} are text. */
    public void show(List<String> headings, int texts, List<List<String>> rows) {
        getChildren().clear();
        for (int c = 0; c < headings.size(); c++) {
            Label heading = new Label(headings.get(c));
            heading.getStyleClass().add("text-muted");
            add(heading, c, 0);
        }
        for (int r = 0; r < rows.size(); r++) {
            for (int c = 0; c < rows.get(r).size(); c++) {
                Label cell = new Label(rows.get(r).get(c));
                if (c >= texts) {
                    cell.setMaxWidth(Double.MAX_VALUE);
                    cell.setAlignment(Pos.CENTER_RIGHT);
                    GridPane.setFillWidth(cell, true);
                }
                add(cell, c, r + 1);
            }
        }
    }
}
