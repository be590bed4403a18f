package dev.sagestudio.models.pipeline;

import java.util.List;

/**
 * The outcome of an {@link AbComparison}: both generations, how close their outputs are, per-layer attention errors
 * on real activations, and both timing breakdowns. Plain data: the command line's table and side-by-side picture are
 * made in the app.
 *
 * @param captureBudgetHit whether some sampled attention calls were not kept because of the memory budget
 */
public record AbResult(GenerationResult a, GenerationResult b, ImageMetrics metrics, List<LayerError> layers,
                       boolean captureBudgetHit) {
}
