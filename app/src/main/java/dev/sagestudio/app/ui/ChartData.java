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

    /**
     * Replaces a horizontal bar chart's data with one series: {@code values[i]} as the bar of {@code categories[i]},
     * the first category on top.
     */
    static void showBars(XYChart<Number, String> chart, List<String> categories, String name, double[] values) {
        XYChart.Series<Number, String> out = new XYChart.Series<>();
        out.setName(name);
        // a vertical category axis counts from the bottom
        for (int i = categories.size() - 1; i >= 0; i--) {
            out.getData().add(new XYChart.Data<>(values[i], categories.get(i)));
        }
        chart.getData().setAll(List.of(out));
    }
}
