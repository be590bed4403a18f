package dev.sagestudio.models.scheduler;

/**
 * Converts a denoiser output into the clean sample x0 and the noise ε, for x_t = α·x0 + σ·ε
 * (α = √ᾱ_t, σ = √(1−ᾱ_t)); see docs/model-bundle.md.
 */
final class Predictions {

    private Predictions() {
    }

    /** x0 predicted from {@code out} at sample {@code x}. */
    static float[] x0(PredictionType type, float[] out, float[] x, double alpha, double sigma) {
        float[] x0 = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            x0[i] = (float) switch (type) {
                case EPSILON -> (x[i] - sigma * out[i]) / alpha;
                case V -> alpha * x[i] - sigma * out[i];
                case FLOW -> throw flow();
            };
        }
        return x0;
    }

    /** ε predicted from {@code out} at sample {@code x}. */
    static float[] epsilon(PredictionType type, float[] out, float[] x, double alpha, double sigma) {
        if (type == PredictionType.EPSILON) {
            return out;
        }
        if (type == PredictionType.FLOW) {
            throw flow();
        }
        float[] eps = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            eps[i] = (float) (alpha * out[i] + sigma * x[i]);
        }
        return eps;
    }

    static void checkLengths(float[] out, float[] x) {
        if (out.length != x.length) {
            throw new IllegalArgumentException("model output has " + out.length + " elements but the sample has "
                    + x.length);
        }
    }

    static void checkIndex(int stepIndex, int steps) {
        if (steps == 0) {
            throw new IllegalStateException("call setTimesteps before step");
        }
        if (stepIndex < 0 || stepIndex >= steps) {
            throw new IllegalArgumentException("step index " + stepIndex + " outside 0.." + (steps - 1));
        }
    }

    private static IllegalArgumentException flow() {
        return new IllegalArgumentException("flow prediction needs the flow_euler scheduler");
    }
}
