package dev.sagestudio.models.onnx;

import java.util.ArrayList;
import java.util.List;

/**
 * The rewrites SageStudio makes to a graph before cutting it: each computes the same values and makes ONNX Runtime's
 * part faster ({@link SliceScatterRewrite}, {@link NearestUpsampleRewrite}). One list, so that the partitioner and
 * {@code step-time --rewrite-whole-graph} (ONNX Runtime alone on the rewritten graph) apply the same ones.
 */
public final class GraphRewrites {

    /** The rewritten model and what was done, one line per rewrite that changed something. */
    public record Result(OnnxModel model, List<String> done) {
    }

    private GraphRewrites() {
    }

    public static Result apply(OnnxModel model) {
        List<String> done = new ArrayList<>();
        SliceScatterRewrite.Result scatter = SliceScatterRewrite.apply(model);
        scatter.describe().ifPresent(done::add);
        NearestUpsampleRewrite.Result upsample = NearestUpsampleRewrite.apply(scatter.model());
        upsample.describe().ifPresent(done::add);
        return new Result(upsample.model(), List.copyOf(done));
    }
}
