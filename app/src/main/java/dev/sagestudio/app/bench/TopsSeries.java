package dev.sagestudio.app.bench;

import dev.sagestudio.attention.bench.BenchRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Benchmark records arranged for the TOPS-versus-sequence-length plot: for one head dim and causal setting, one line
 * per backend (ours with and without quantization time as separate lines), over the sequence lengths measured.
 *
 * @param seqLens the x positions, ascending
 * @param lines the lines, in the order the backends first appear in the records
 */
public record TopsSeries(int headDim, boolean causal, List<Integer> seqLens, List<Line> lines) {

    /** One backend's TOPS at each of {@link #seqLens()}; NaN where it was not measured. */
    public record Line(String name, double[] tops) {
    }

    /** The plot of {@code records} for {@code headDim} and {@code causal}. */
    public static TopsSeries of(List<BenchRecord> records, int headDim, boolean causal) {
        TreeSet<Integer> lens = new TreeSet<>();
        Map<String, Map<Integer, Double>> byLine = new LinkedHashMap<>();
        for (BenchRecord r : records) {
            if (r.headDim() != headDim || r.causal() != causal) {
                continue;
            }
            lens.add(r.seqLen());
            byLine.computeIfAbsent(lineName(r), k -> new LinkedHashMap<>()).put(r.seqLen(), r.tops());
        }
        List<Integer> x = List.copyOf(lens);
        List<Line> lines = new ArrayList<>();
        for (Map.Entry<String, Map<Integer, Double>> e : byLine.entrySet()) {
            double[] tops = new double[x.size()];
            for (int i = 0; i < tops.length; i++) {
                tops[i] = e.getValue().getOrDefault(x.get(i), Double.NaN);
            }
            lines.add(new Line(e.getKey(), tops));
        }
        return new TopsSeries(headDim, causal, x, List.copyOf(lines));
    }

    /** The plot of a session's microbenchmark records. */
    public static TopsSeries of(BenchmarkResults results, int headDim, boolean causal) {
        return of(results.kernels(), headDim, causal);
    }

    /** "sage-int8-fp16 (+q)" when the time includes quantization, else the backend's name. */
    static String lineName(BenchRecord r) {
        return r.includesQuant() ? r.backend() + " (+q)" : r.backend();
    }

    /** The highest TOPS on the plot (0 when empty). */
    public double maxTops() {
        double max = 0;
        for (Line l : lines) {
            for (double t : l.tops()) {
                if (Double.isFinite(t)) {
                    max = Math.max(max, t);
                }
            }
        }
        return max;
    }
}
