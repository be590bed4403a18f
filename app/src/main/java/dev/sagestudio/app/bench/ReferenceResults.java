package dev.sagestudio.app.bench;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sagestudio.attention.bench.BenchRecord;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The committed H100 results (attention/bench/results/, packaged into the app at build time) for reference next to
 * this machine's: our kernels and PyTorch's SDPA kernels, measured by the project's harnesses.
 */
public final class ReferenceResults {

    /** The classpath copy of attention/bench/results/NVIDIA-H100-80GB-HBM3.json. */
    static final String H100 = "/dev/sagestudio/app/bench/results/NVIDIA-H100-80GB-HBM3.json";

    private ReferenceResults() {
    }

    /** The committed H100 results as a benchmark session (no step times: those are per model and machine). */
    public static BenchmarkResults h100() {
        try (InputStream in = ReferenceResults.class.getResourceAsStream(H100)) {
            if (in == null) {
                throw new IllegalStateException("the committed H100 results are missing from this build (" + H100
                        + ")");
            }
            return BenchmarkResults.ofRecords(new ObjectMapper().readValue(in,
                    new TypeReference<List<BenchRecord>>() { }));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the committed H100 results", e);
        }
    }
}
