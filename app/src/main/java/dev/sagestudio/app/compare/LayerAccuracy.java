package dev.sagestudio.app.compare;

import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.sagestudio.models.pipeline.LayerError;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Per-layer attention accuracy from the capture pass, arranged as a steps × layers grid: each cell is one attention
 * call (one node, one guidance half, one sampled step) recomputed with backend B and with the float64 reference.
 * A layer is an attention node and the guidance half it computed, in execution order.
 *
 * @param layers each layer's full label, in execution order
 * @param shortLabels the same without the prefix all labels share (exporters give long common prefixes)
 * @param steps the sampled steps, ascending
 * @param cells every measured cell
 * @param worst the cell where B is farthest from the reference (largest relative L1), or null when there is none
 */
public record LayerAccuracy(List<String> layers, List<String> shortLabels, List<Integer> steps, List<Cell> cells,
                            Cell worst) {

    /**
     * One attention call.
     *
     * @param layer index into {@link #layers()}
     * @param cosine B against the float64 reference
     * @param relativeL1 B against the float64 reference
     * @param cosineA A against the float64 reference (how exact the baseline itself is)
     * @param relativeL1A A against the float64 reference
     * @param cosineBvsA B against A
     */
    public record Cell(int step, int layer, String node, String part, double cosine, double relativeL1,
                       double cosineA, double relativeL1A, double cosineBvsA) {
    }

    /** Orders cells from closest to farthest from the reference; NaN (a broken output) counts as farthest. */
    static final Comparator<Cell> BY_ERROR = Comparator.comparingDouble(
            c -> Double.isNaN(c.relativeL1()) ? Double.POSITIVE_INFINITY : c.relativeL1());

    /** Arranges the capture pass's errors. */
    public static LayerAccuracy of(List<LayerError> errors) {
        Map<String, Integer> index = new LinkedHashMap<>();
        TreeSet<Integer> steps = new TreeSet<>();
        List<Cell> cells = new ArrayList<>();
        for (LayerError e : errors) {
            String label = e.part().equals("uncond") ? e.node() + " (uncond)" : e.node();
            int layer = index.computeIfAbsent(label, k -> index.size());
            steps.add(e.step());
            cells.add(new Cell(e.step(), layer, e.node(), e.part(), e.bVsExact().cosineSimilarity(),
                    e.bVsExact().relativeL1(), e.aVsExact().cosineSimilarity(), e.aVsExact().relativeL1(),
                    e.bVsA().cosineSimilarity()));
        }
        List<String> layers = List.copyOf(index.keySet());
        Cell worst = cells.stream().max(BY_ERROR).orElse(null);
        return new LayerAccuracy(layers, Labels.withoutCommonPrefix(layers), List.copyOf(steps), List.copyOf(cells),
                worst);
    }

    @JsonIgnore
    public boolean isEmpty() {
        return cells.isEmpty();
    }

    /** The cell of {@code step} and {@code layer}, if that call was captured. */
    public Optional<Cell> cell(int step, int layer) {
        return cells.stream().filter(c -> c.step() == step && c.layer() == layer).findFirst();
    }

    /** B's cosine similarity against the reference across the layers at {@code step}; NaN where not captured. */
    public double[] cosineAcrossLayers(int step) {
        return across(step, true);
    }

    /** B's relative L1 against the reference across the layers at {@code step}; NaN where not captured. */
    public double[] relativeL1AcrossLayers(int step) {
        return across(step, false);
    }

    private double[] across(int step, boolean cosine) {
        double[] out = new double[layers.size()];
        java.util.Arrays.fill(out, Double.NaN);
        for (Cell c : cells) {
            if (c.step() == step) {
                out[c.layer()] = cosine ? c.cosine() : c.relativeL1();
            }
        }
        return out;
    }

    /** The label of the layer holding the worst cell, or empty. */
    public Optional<String> worstLayer() {
        return Optional.ofNullable(worst).map(c -> layers.get(c.layer()));
    }
}
