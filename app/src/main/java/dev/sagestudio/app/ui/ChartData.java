package dev.sagestudio.app.ui;

import dev.sagestudio.app.compare.SvgCharts;
import java.util.List;
import javafx.scene.chart.XYChart;

/** Fills a chart with category x values from plain series (the compare and benchmark charts). */
final class ChartData {

    private ChartData() {
    }

    /**
     * Replaces {@code chart}'s data: one series per entry of {@code series}, value i at category {@code x.get(i)};
     * values that are not finite (not measured, identical frames) leave a gap.
     */
    static void show(XYChart<String, Number> chart, List<String> x, List<SvgCharts.Series> series) {
        chart.getData().clear();
        for (SvgCharts.Series s : series) {
            XYChart.Series<String, Number> out = new XYChart.Series<>();
            out.setName(s.name());
            for (int i = 0; i < s.values().length && i < x.size(); i++) {
                if (Double.isFinite(s.values()[i])) {
                    out.getData().add(new XYChart.Data<>(x.get(i), s.values()[i]));
                }
            }
            chart.getData().add(out);
        }
    }
}
