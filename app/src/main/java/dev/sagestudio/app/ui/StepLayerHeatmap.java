package dev.sagestudio.app.ui;

import dev.sagestudio.app.compare.ColourScale;
import dev.sagestudio.app.compare.CompareCharts;
import dev.sagestudio.app.compare.LayerAccuracy;
import dev.sagestudio.app.compare.SvgCharts;
import java.util.Locale;
import javafx.scene.canvas.Canvas;
import javafx.scene.canvas.GraphicsContext;
import javafx.scene.control.Label;
import javafx.scene.layout.VBox;
import javafx.scene.paint.Color;

/**
 * The steps × layers heatmap of a comparison: relative L1 of B against the float64 reference on a log colour scale,
 * one row per sampled step, one column per attention layer, the worst cell framed; its title gives the scale's range.
 */
public final class StepLayerHeatmap extends VBox {

    private static final int CELL_WIDTH = 36;
    private static final int CELL_HEIGHT = 24;
    private static final int ROW_LABELS = 70;

    private final Label title = new Label();
    private final Canvas canvas = new Canvas();
    private final Label columns = new Label();

    public StepLayerHeatmap() {
        super(4);
        columns.setWrapText(true);
        getStyleClass().add("step-layer-heatmap");
        getChildren().addAll(title, canvas, columns);
    }

    /** Draws {@code layers}; empty or null clears the map. */
    public void show(LayerAccuracy layers) {
        GraphicsContext g = canvas.getGraphicsContext2D();
        g.clearRect(0, 0, canvas.getWidth(), canvas.getHeight());
        if (layers == null || layers.isEmpty()) {
            canvas.setWidth(0);
            canvas.setHeight(0);
            title.setText("");
            columns.setText("");
            return;
        }
        double[][] grid = CompareCharts.relativeL1Grid(layers);
        canvas.setWidth(ROW_LABELS + CELL_WIDTH * layers.layers().size() + 10);
        canvas.setHeight(CELL_HEIGHT * grid.length + 10);
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        for (double[] row : grid) {
            for (double v : row) {
                if (v > 0 && Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        Color text = title.getTextFill() instanceof Color c ? c : Color.BLACK;
        for (int r = 0; r < grid.length; r++) {
            g.setFill(text);
            g.fillText(CompareCharts.stepLabel(layers.steps().get(r)), 4, CELL_HEIGHT * r + 17);
            for (int c = 0; c < grid[r].length; c++) {
                double v = grid[r][c];
                int argb = Double.isNaN(v) ? 0xffdddddd : ColourScale.argb(hi > lo
                        ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : 0);
                g.setFill(Color.rgb(argb >> 16 & 0xff, argb >> 8 & 0xff, argb & 0xff));
                g.fillRect(ROW_LABELS + c * CELL_WIDTH, CELL_HEIGHT * r, CELL_WIDTH - 1, CELL_HEIGHT - 1);
            }
        }
        LayerAccuracy.Cell worst = layers.worst();
        if (worst != null) {
            g.setStroke(Color.web("#00c0ff"));
            g.setLineWidth(3);
            g.strokeRect(ROW_LABELS + worst.layer() * CELL_WIDTH, CELL_HEIGHT * layers.steps().indexOf(worst.step()),
                    CELL_WIDTH - 1, CELL_HEIGHT - 1);
        }
        title.setText(String.format(Locale.ROOT, "Relative L1 of B vs reference, sampled steps × layers (%s to %s, log"
                + " scale; worst framed)", SvgCharts.number(lo), SvgCharts.number(hi)));
        columns.setText("layers: " + String.join(", ", layers.shortLabels()));
    }
}
