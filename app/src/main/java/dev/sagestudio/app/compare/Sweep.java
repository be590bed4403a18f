package dev.sagestudio.app.compare;

import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.pipeline.AttentionChoice;
import dev.sagestudio.models.pipeline.AttentionResolver;
import dev.sagestudio.models.pipeline.CancellationToken;
import dev.sagestudio.models.pipeline.DiffusionPipeline;
import dev.sagestudio.models.pipeline.GenerationResult;
import dev.sagestudio.models.pipeline.ProgressListener;
import dev.sagestudio.models.runtime.OrtRuntime;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a {@link SweepPlan}: one backend at a time (its pipeline opened once, warmed up with one untimed step as the
 * A/B comparison does, closed before the next opens), every row with it.
 */
public final class Sweep {

    /** Told when a cell starts, and given that cell's step progress. */
    @FunctionalInterface
    public interface Progress {
        ProgressListener cell(int row, int column, int cellsDone, int cells);
    }

    private Sweep() {
    }

    /**
     * Runs every cell.
     *
     * @param cpuFallback whether a GPU backend may run as its CPU counterpart (said in its column label)
     * @param threads ONNX Runtime intra-op threads on the device path (0 = its default)
     */
    public static SweepResult run(ModelBundle bundle, SweepPlan plan, OrtRuntime runtime, boolean cpuFallback,
                                  int threads, Progress progress, CancellationToken cancel) throws IOException {
        int rows = plan.values().size();
        int columns = plan.backends().size();
        List<List<GenerationResult>> grid = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            grid.add(new ArrayList<>(java.util.Collections.nCopies(columns, null)));
        }
        for (int c = 0; c < columns; c++) {
            try (AttentionChoice choice = AttentionResolver.resolve(plan.backends().get(c), cpuFallback, threads);
                 DiffusionPipeline pipeline = DiffusionPipeline.open(bundle, choice, runtime)) {
                pipeline.generate(plan.request(0).withSteps(1), ProgressListener.NONE, cancel);
                for (int r = 0; r < rows; r++) {
                    grid.get(r).set(c, pipeline.generate(plan.request(r), progress.cell(r, c, c * rows + r,
                            rows * columns), cancel));
                }
            }
        }
        return SweepResult.of(grid);
    }
}
