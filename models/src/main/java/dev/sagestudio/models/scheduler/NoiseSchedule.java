package dev.sagestudio.models.scheduler;

/**
 * The DDPM forward process: betas, cumulative alphas and the choice of inference timesteps, in double.
 * Formulas as in diffusers and docs/model-bundle.md.
 */
public final class NoiseSchedule {

    private final double[] alphasCumprod;

    public NoiseSchedule(SchedulerConfig config) {
        double[] betas = betas(config.betaSchedule(), config.numTrainTimesteps(), config.betaStart(), config.betaEnd());
        alphasCumprod = new double[betas.length];
        double product = 1;
        for (int i = 0; i < betas.length; i++) {
            product *= 1 - betas[i];
            alphasCumprod[i] = product;
        }
    }

    /** β_i for i = 0..n-1. */
    public static double[] betas(BetaSchedule schedule, int n, double start, double end) {
        double[] b = new double[n];
        for (int i = 0; i < n; i++) {
            double f = n == 1 ? 0 : (double) i / (n - 1);
            b[i] = switch (schedule) {
                case LINEAR -> start + (end - start) * f;
                case SCALED_LINEAR -> square(Math.sqrt(start) + (Math.sqrt(end) - Math.sqrt(start)) * f);
                case SQUAREDCOS_CAP_V2 -> Math.min(1 - cosineAlphaBar((i + 1.0) / n) / cosineAlphaBar((double) i / n),
                        0.999);
            };
        }
        return b;
    }

    private static double cosineAlphaBar(double s) {
        return square(Math.cos((s + 0.008) / 1.008 * Math.PI / 2));
    }

    private static double square(double x) {
        return x * x;
    }

    /** ᾱ_t for t = 0..N-1 (a copy). */
    public double[] alphasCumprod() {
        return alphasCumprod.clone();
    }

    public double alphaCumprod(int t) {
        return alphasCumprod[t];
    }

    /** Inference timesteps, descending, per diffusers' {@code timestep_spacing} (steps_offset 0, numpy rounding). */
    public static int[] timesteps(TimestepSpacing spacing, int numTrain, int steps) {
        if (steps < 1 || steps > numTrain) {
            throw new IllegalArgumentException("steps must be in 1.." + numTrain + ", got " + steps);
        }
        int[] t = new int[steps];
        for (int k = 0; k < steps; k++) {
            int ascending = switch (spacing) {
                case LEADING -> k * (numTrain / steps);
                case TRAILING -> (int) Math.rint(numTrain - (double) numTrain / steps * (steps - 1 - k)) - 1;
                case LINSPACE -> (int) Math.rint(steps == 1 ? 0 : (numTrain - 1.0) * k / (steps - 1));
            };
            t[steps - 1 - k] = ascending;
        }
        return t;
    }

    /**
     * Inference timesteps, descending, as diffusers' multistep solvers (DPMSolverMultistepScheduler) space them: for
     * linspace and leading a grid of {@code steps + 1} points whose last (0) is dropped, so the final step goes from
     * the smallest timestep to the clean sample; trailing as {@link #timesteps}.
     */
    public static int[] multistepTimesteps(TimestepSpacing spacing, int numTrain, int steps) {
        if (spacing == TimestepSpacing.TRAILING) {
            return timesteps(spacing, numTrain, steps);
        }
        if (steps < 1 || steps > numTrain) {
            throw new IllegalArgumentException("steps must be in 1.." + numTrain + ", got " + steps);
        }
        int[] t = new int[steps];
        for (int k = 0; k < steps; k++) {
            int fromTheEnd = steps - k; // index into the ascending grid of steps + 1 points
            t[k] = switch (spacing) {
                case LINSPACE -> (int) Math.rint((numTrain - 1.0) * fromTheEnd / steps);
                case LEADING -> fromTheEnd * (numTrain / (steps + 1));
                case TRAILING -> throw new AssertionError("handled above");
            };
        }
        return t;
    }

    /** The same timesteps as floats, as passed to the denoiser. */
    static float[] asFloats(int[] t) {
        float[] f = new float[t.length];
        for (int i = 0; i < t.length; i++) {
            f[i] = t[i];
        }
        return f;
    }
}
