package dev.sagestudio.app.ui;

import dev.sagestudio.app.compare.ColourScale;
import dev.sagestudio.app.compare.SvgCharts;
import java.util.List;
import javafx.geometry.Pos;
import javafx.scene.control.Label;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Region;

/** The difference image's colour scale: a swatch and the value it stands for, per tick. */
public final class ColourLegend extends HBox {

    public ColourLegend() {
        super(6);
        setAlignment(Pos.CENTER_LEFT);
    }

    /** Shows {@code ticks} (left to right, as given). */
    public void show(List<ColourScale.Tick> ticks) {
        getChildren().clear();
        for (ColourScale.Tick t : ticks) {
            Region swatch = new Region();
            swatch.setMinSize(14, 14);
            swatch.setStyle("-fx-background-color: " + ColourScale.css(t.position()));
            getChildren().addAll(swatch, new Label(SvgCharts.number(t.value())));
        }
    }
}
