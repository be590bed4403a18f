package dev.sagestudio.app.compare;

import java.util.List;
import java.util.Locale;

/**
 * Small self-contained SVG charts (no scripts, no external references, no namespace URL: they are meant to be inlined
 * in HTML, which needs none) for the report: grouped bars, lines over categories, and a heatmap.
 */
public final class SvgCharts {

    /** Series colours, distinguishable in colour-vision deficiencies (Okabe–Ito). */
    static final String[] PALETTE = {"#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442",
        "#000000"};

    private static final int WIDTH = 720;
    private static final int LEFT = 70;
    private static final int RIGHT = 170;
    private static final int TOP = 34;

    private SvgCharts() {
    }

    /** One named row of values, one per category; NaN for none. */
    public record Series(String name, double[] values) {
    }

    /** Horizontal grouped bars: one group per category, one bar per series, value printed at the bar's end. */
    public static String bars(String title, String unit, List<String> categories, List<Series> series) {
        int barHeight = 16;
        int groupHeight = series.size() * barHeight + 12;
        int left = 180;
        int plotWidth = WIDTH - left - 120;
        int height = TOP + categories.size() * groupHeight + 40;
        double max = 0;
        for (Series s : series) {
            for (double v : s.values()) {
                if (Double.isFinite(v)) {
                    max = Math.max(max, v);
                }
            }
        }
        StringBuilder svg = open(title, height);
        for (int c = 0; c < categories.size(); c++) {
            int y0 = TOP + c * groupHeight;
            text(svg, left - 8, y0 + groupHeight / 2.0, "end", 12, categories.get(c));
            for (int s = 0; s < series.size(); s++) {
                double v = series.get(s).values()[c];
                int y = y0 + s * barHeight;
                if (!Double.isFinite(v)) {
                    text(svg, left + 4, y + barHeight - 4, "start", 11, "not measured");
                    continue;
                }
                double w = max > 0 ? v / max * plotWidth : 0;
                svg.append(String.format(Locale.ROOT,
                        "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>%s: %s</title></rect>",
                        left, y + 1, w, barHeight - 2, PALETTE[s % PALETTE.length], escape(series.get(s).name()),
                        number(v) + " " + escape(unit)));
                text(svg, left + w + 4, y + barHeight - 4, "start", 11, number(v) + " " + unit);
            }
        }
        int legendY = TOP + categories.size() * groupHeight + 8;
        for (int s = 0; s < series.size(); s++) {
            int x = left + s * 240;
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>",
                    x, legendY, PALETTE[s % PALETTE.length]));
            text(svg, x + 14, legendY + 9, "start", 11, clip(series.get(s).name(), 34));
        }
        return close(svg);
    }

    /** Lines over categorical x positions, one per series; NaN and infinite values leave gaps. */
    public static String lines(String title, String xLabel, String yLabel, List<String> xLabels, List<Series> series) {
        int height = 320;
        int plotWidth = WIDTH - LEFT - RIGHT;
        int plotHeight = height - TOP - 70;
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (double v : s.values()) {
                if (Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        StringBuilder svg = open(title, height);
        if (lo > hi) {
            text(svg, LEFT, TOP + 20, "start", 12, "no finite values to plot");
            return close(svg);
        }
        if (hi - lo < Math.max(1e-12, Math.abs(hi) * 1e-9)) {
            double pad = Math.max(Math.abs(hi) * 1e-3, 1e-9);
            lo -= pad;
            hi += pad;
        }
        int n = xLabels.size();
        double step = n > 1 ? plotWidth / (double) (n - 1) : 0;
        axes(svg, plotWidth, plotHeight, lo, hi, yLabel);
        int every = Math.max(1, (int) Math.ceil(n / 16.0));
        for (int i = 0; i < n; i += every) {
            double x = LEFT + (n > 1 ? i * step : plotWidth / 2.0);
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"end\""
                    + " transform=\"rotate(-35 %.1f %d)\">%s</text>", x, TOP + plotHeight + 14, x,
                    TOP + plotHeight + 14, escape(clip(xLabels.get(i), 18))));
        }
        text(svg, LEFT + plotWidth / 2.0, height - 6, "middle", 12, xLabel);
        for (int s = 0; s < series.size(); s++) {
            String colour = PALETTE[s % PALETTE.length];
            double[] v = series.get(s).values();
            StringBuilder path = new StringBuilder();
            boolean pen = false;
            for (int i = 0; i < v.length; i++) {
                if (!Double.isFinite(v[i])) {
                    pen = false;
                    continue;
                }
                double x = LEFT + (n > 1 ? i * step : plotWidth / 2.0);
                double y = TOP + plotHeight - (v[i] - lo) / (hi - lo) * plotHeight;
                path.append(String.format(Locale.ROOT, "%s%.1f %.1f ", pen ? "L" : "M", x, y));
                pen = true;
                svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\">"
                        + "<title>%s, %s: %s</title></circle>", x, y, colour, escape(series.get(s).name()),
                        escape(xLabels.get(i)), number(v[i])));
            }
            if (!path.isEmpty()) {
                svg.append("<path d=\"").append(path.toString().trim()).append("\" fill=\"none\" stroke=\"")
                        .append(colour).append("\" stroke-width=\"1.5\"/>");
            }
        }
        legend(svg, series, WIDTH - RIGHT + 12, TOP);
        return close(svg);
    }

    /**
     * A heatmap of {@code values[row][column]}, coloured with {@link ColourScale} from {@code lo} (dark) to
     * {@code hi} (light) on a log scale when {@code log}; {@code highlight} (row, column) or null gets a frame.
     */
    public static String heatmap(String title, List<String> rows, List<String> columns, double[][] values,
                                 String[][] tooltips, double lo, double hi, boolean log, int[] highlight,
                                 String scaleLabel) {
        int left = 90;
        int cell = Math.max(10, Math.min(40, (WIDTH - left - 40) / Math.max(1, columns.size())));
        int rowHeight = 24;
        int height = TOP + rows.size() * rowHeight + 110;
        StringBuilder svg = open(title, height);
        for (int r = 0; r < rows.size(); r++) {
            int y = TOP + r * rowHeight;
            text(svg, left - 6, y + rowHeight / 2.0 + 4, "end", 11, rows.get(r));
            for (int c = 0; c < columns.size(); c++) {
                double v = values[r][c];
                String fill = Double.isNaN(v) && tooltips[r][c] == null ? "#dddddd"
                        : ColourScale.css(position(v, lo, hi, log));
                svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\""
                        + " fill=\"%s\"><title>%s</title></rect>", left + c * cell, y, cell - 1, rowHeight - 1, fill,
                        escape(tooltips[r][c] == null ? "not captured" : tooltips[r][c])));
            }
        }
        if (highlight != null) {
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\""
                    + " stroke=\"#00c0ff\" stroke-width=\"3\"/>", left + highlight[1] * cell - 1,
                    TOP + highlight[0] * rowHeight - 1, cell + 1, rowHeight + 1));
        }
        int labelsY = TOP + rows.size() * rowHeight + 8;
        for (int c = 0; c < columns.size(); c++) {
            double x = left + c * cell + cell / 2.0;
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"end\""
                    + " transform=\"rotate(-50 %.1f %d)\">%s</text>", x, labelsY, x, labelsY,
                    escape(clip(columns.get(c), 16))));
        }
        int scaleY = height - 26;
        int scaleWidth = 240;
        for (int i = 0; i < scaleWidth; i++) {
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"1\" height=\"10\" fill=\"%s\"/>",
                    left + i, scaleY, ColourScale.css(i / (double) (scaleWidth - 1))));
        }
        text(svg, left, scaleY + 22, "start", 10, number(lo));
        text(svg, left + scaleWidth, scaleY + 22, "end", 10, number(hi));
        text(svg, left + scaleWidth + 8, scaleY + 9, "start", 11, scaleLabel + (log ? " (log scale)" : ""));
        return close(svg);
    }

    /** Where {@code v} falls between {@code lo} and {@code hi}, 0..1 (log scale when asked). */
    static double position(double v, double lo, double hi, boolean log) {
        if (Double.isNaN(v)) {
            return Double.NaN;
        }
        if (log) {
            double l = Math.log10(Math.max(lo, 1e-300));
            double h = Math.log10(Math.max(hi, 1e-300));
            return h > l ? (Math.log10(Math.max(v, 1e-300)) - l) / (h - l) : 0;
        }
        return hi > lo ? (v - lo) / (hi - lo) : 0;
    }

    private static void axes(StringBuilder svg, int plotWidth, int plotHeight, double lo, double hi, String yLabel) {
        svg.append(String.format(Locale.ROOT, "<path d=\"M%d %d V%d H%d\" fill=\"none\" stroke=\"#444\"/>", LEFT, TOP,
                TOP + plotHeight, LEFT + plotWidth));
        for (int i = 0; i <= 4; i++) {
            double v = lo + (hi - lo) * i / 4;
            double y = TOP + plotHeight - plotHeight * i / 4.0;
            svg.append(String.format(Locale.ROOT, "<path d=\"M%d %.1f H%d\" stroke=\"#ddd\"/>", LEFT, y,
                    LEFT + plotWidth));
            text(svg, LEFT - 4, y + 4, "end", 10, tick(v, (hi - lo) / 4));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\""
                + " transform=\"rotate(-90 14 %.1f)\">%s</text>", TOP + plotHeight / 2.0, TOP + plotHeight / 2.0,
                escape(yLabel)));
    }

    private static void legend(StringBuilder svg, List<Series> series, int x, int y) {
        for (int s = 0; s < series.size(); s++) {
            int yy = y + s * 16;
            svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>",
                    x, yy, PALETTE[s % PALETTE.length]));
            text(svg, x + 14, yy + 9, "start", 11, clip(series.get(s).name(), 22));
        }
    }

    private static StringBuilder open(String title, int height) {
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\""
                + " font-family=\"sans-serif\">", WIDTH, height, WIDTH, height));
        svg.append("<title>").append(escape(title)).append("</title>");
        text(svg, 8, 18, "start", 14, title);
        return svg;
    }

    private static String close(StringBuilder svg) {
        return svg.append("</svg>").toString();
    }

    private static void text(StringBuilder svg, double x, double y, String anchor, int size, String text) {
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" text-anchor=\"%s\">%s"
                + "</text>", x, y, size, anchor, escape(text)));
    }

    /** An axis tick: enough decimals that ticks {@code spacing} apart read differently (cosines near 1). */
    static String tick(double v, double spacing) {
        if (!(spacing > 0) || Math.abs(v) >= 1000 || Math.abs(v) < 1e-3 && v != 0) {
            return number(v);
        }
        int decimals = Math.max(0, Math.min(12, (int) Math.ceil(-Math.log10(spacing)) + 1));
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** A compact number: 4 significant digits, whole numbers from 1000, scientific below 0.001. */
    public static String number(double v) {
        if (!Double.isFinite(v)) {
            return Double.isNaN(v) ? "NaN" : v > 0 ? "∞" : "-∞";
        }
        double a = Math.abs(v);
        if (a >= 1000 && a < 1e9) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        return a != 0 && (a < 1e-3 || a >= 1e9) ? String.format(Locale.ROOT, "%.3e", v)
                : String.format(Locale.ROOT, "%.4g", v);
    }

    private static String clip(String text, int width) {
        return text.length() <= width ? text : "…" + text.substring(text.length() - width + 1);
    }

    /** Escapes text for XML and HTML content and attribute values. */
    public static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char ch : text.toCharArray()) {
            switch (ch) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(ch);
            }
        }
        return out.toString();
    }
}
