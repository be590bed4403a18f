package dev.sagestudio.models.runtime;

import dev.sagestudio.attention.metrics.AccuracyMetrics;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** How far each output of a run is from the same output of a baseline run (e.g. ONNX Runtime alone). */
public final class OutputComparison {

    private OutputComparison() {
    }

    /** Metrics per output name, for every output of {@code baseline}. */
    public static Map<String, AccuracyMetrics> compare(Map<String, HostArray> baseline, Map<String, HostArray> actual) {
        Map<String, AccuracyMetrics> out = new LinkedHashMap<>();
        for (Map.Entry<String, HostArray> entry : baseline.entrySet()) {
            HostArray expected = entry.getValue();
            HostArray got = actual.get(entry.getKey());
            if (got == null) {
                throw new IllegalArgumentException("output '" + entry.getKey() + "' is missing from the run");
            }
            if (!Arrays.equals(expected.shape(), got.shape())) {
                throw new IllegalArgumentException("output '" + entry.getKey() + "' has shape "
                        + Arrays.toString(got.shape()) + " but the baseline has " + Arrays.toString(expected.shape()));
            }
            out.put(entry.getKey(), AccuracyMetrics.compare(expected.toDoubles(), got.toDoubles()));
        }
        return out;
    }
}
