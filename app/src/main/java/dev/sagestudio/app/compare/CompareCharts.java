package dev.sagestudio.app.compare;

import dev.sagestudio.app.compare.CompareNumbers.Quality;
import dev.sagestudio.app.compare.CompareNumbers.TimingSplit;
import dev.sagestudio.app.compare.SvgCharts.Series;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The chart data of a comparison, shared by the compare view and the report so both plot the same values: the
 * timing bars, the per-frame PSNR line, the per-layer lines and the steps × layers grid.
 */
public final class CompareCharts {

    /** Timing bar categories, in order. */
    public static final List<String> TIMING_CATEGORIES = List.of("total", "denoiser step (median)", "ONNX Runtime",
            "attention");

    private CompareCharts() {
    }

    /** Milliseconds per {@link #TIMING_CATEGORIES} for A and for B; NaN where attention was not measured. */
    public static List<Series> timingBars(CompareNumbers n) {
        return List.of(new Series("A " + n.a().requested(), timing(n.timing().a())),
                new Series("B " + n.b().requested(), timing(n.timing().b())));
    }

    private static double[] timing(TimingSplit t) {
        return new double[] {t.totalMs(), t.medianStepMs(), t.ortMs(), t.attentionMeasured() ? t.attentionMs()
                : Double.NaN};
    }

    /** PSNR of each frame, in dB (+∞ for identical frames, which leave a gap in the line). */
    public static Series perFramePsnr(CompareNumbers n) {
        return new Series("PSNR B vs A", n.frames().stream().mapToDouble(Quality::psnr).toArray());
    }

    /** Frame labels "1".."F". */
    public static List<String> frameLabels(CompareNumbers n) {
        List<String> out = new ArrayList<>();
        for (int f = 1; f <= n.frames().size(); f++) {
            out.add(Integer.toString(f));
        }
        return out;
    }

    /** One line per sampled step: B's cosine similarity to the reference across the layers. */
    public static List<Series> layerCosineLines(LayerAccuracy layers) {
        List<Series> out = new ArrayList<>();
        for (int step : layers.steps()) {
            out.add(new Series(stepLabel(step), layers.cosineAcrossLayers(step)));
        }
        return out;
    }

    /** One line per sampled step: B's relative L1 distance to the reference across the layers. */
    public static List<Series> layerRelativeL1Lines(LayerAccuracy layers) {
        List<Series> out = new ArrayList<>();
        for (int step : layers.steps()) {
            out.add(new Series(stepLabel(step), layers.relativeL1AcrossLayers(step)));
        }
        return out;
    }

    /** "step N", 1-based as progress shows it. */
    public static String stepLabel(int step) {
        return "step " + (step + 1);
    }

    /** Relative L1 of B against the reference as [sampled step][layer]; NaN where not captured. */
    public static double[][] relativeL1Grid(LayerAccuracy layers) {
        double[][] out = new double[layers.steps().size()][];
        for (int r = 0; r < out.length; r++) {
            out[r] = layers.relativeL1AcrossLayers(layers.steps().get(r));
        }
        return out;
    }

    /** The report's steps × layers heatmap, the worst cell framed. */
    static String heatmapSvg(LayerAccuracy layers) {
        double[][] grid = relativeL1Grid(layers);
        String[][] tips = new String[grid.length][layers.layers().size()];
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        for (LayerAccuracy.Cell c : layers.cells()) {
            int row = layers.steps().indexOf(c.step());
            tips[row][c.layer()] = String.format(Locale.ROOT, "%s, %s (%s): rel L1 %.3e, cosine %.8f",
                    stepLabel(c.step()), c.node(), c.part(), c.relativeL1(), c.cosine());
            if (c.relativeL1() > 0 && Double.isFinite(c.relativeL1())) {
                lo = Math.min(lo, c.relativeL1());
                hi = Math.max(hi, c.relativeL1());
            }
        }
        if (lo > hi) {
            lo = 1e-6;
            hi = 1e-5;
        } else if (lo == hi) {
            lo = hi / 10;
        }
        LayerAccuracy.Cell w = layers.worst();
        int[] highlight = w == null ? null : new int[] {layers.steps().indexOf(w.step()), w.layer()};
        return SvgCharts.heatmap("Relative L1 of B vs float64 reference: sampled steps × layers (worst framed)",
                layers.steps().stream().map(CompareCharts::stepLabel).toList(), layers.shortLabels(), grid, tips, lo,
                hi, true, highlight, "relative L1");
    }
}
