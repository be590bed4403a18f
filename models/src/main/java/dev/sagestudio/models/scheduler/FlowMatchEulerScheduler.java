package dev.sagestudio.models.scheduler;

import dev.sagestudio.models.noise.NoiseSource;

/**
 * Euler on the rectified-flow ODE dx/dσ = v with x_σ = (1−σ)·x0 + σ·ε and v = ε − x0 (diffusers'
 * FlowMatchEulerDiscreteScheduler): σ_k = shift(1 − k/S), k = 0..S, with shift(σ) = sσ/(1 + (s−1)σ);
 * x_{k+1} = x_k + (σ_{k+1} − σ_k)·v; the denoiser gets timestep σ_k·numTrainTimesteps.
 */
public final class FlowMatchEulerScheduler implements Scheduler {

    private final SchedulerConfig config;
    private double[] sigmas = new double[0];

    public FlowMatchEulerScheduler(SchedulerConfig config) {
        if (config.prediction() != PredictionType.FLOW) {
            throw new IllegalArgumentException("flow_euler samples flow prediction only, not "
                    + config.prediction().jsonName());
        }
        this.config = config;
    }

    /** The shift map applied to σ. */
    public static double shift(double sigma, double shift) {
        return shift * sigma / (1 + (shift - 1) * sigma);
    }

    @Override
    public void setTimesteps(int steps) {
        if (steps < 1 || steps > 10_000) {
            throw new IllegalArgumentException("steps must be in 1..10000, got " + steps);
        }
        sigmas = new double[steps + 1];
        for (int k = 0; k <= steps; k++) {
            sigmas[k] = shift(1 - (double) k / steps, config.shift());
        }
    }

    /** σ per step, then 0 (a copy). */
    public double[] sigmas() {
        return sigmas.clone();
    }

    @Override
    public float[] timesteps() {
        float[] t = new float[Math.max(0, sigmas.length - 1)];
        for (int k = 0; k < t.length; k++) {
            t[k] = (float) (sigmas[k] * config.numTrainTimesteps());
        }
        return t;
    }

    /** Every step: prev = x + (σ_{k+1} − σ_k)·v and x0 = x − σ_k·v. */
    @Override
    public java.util.Optional<AffineStep> affineStep(int stepIndex) {
        Predictions.checkIndex(stepIndex, sigmas.length - 1);
        double sigma = sigmas[stepIndex];
        return java.util.Optional.of(new AffineStep(1, sigmas[stepIndex + 1] - sigma, 1, -sigma));
    }

    @Override
    public StepResult step(float[] modelOutput, int stepIndex, float[] sample, NoiseSource noise) {
        Predictions.checkIndex(stepIndex, sigmas.length - 1);
        Predictions.checkLengths(modelOutput, sample);
        double sigma = sigmas[stepIndex];
        double dt = sigmas[stepIndex + 1] - sigma;
        float[] prev = new float[sample.length];
        float[] x0 = new float[sample.length];
        for (int i = 0; i < prev.length; i++) {
            prev[i] = (float) (sample[i] + dt * modelOutput[i]);
            x0[i] = (float) (sample[i] - sigma * modelOutput[i]);
        }
        return new StepResult(prev, x0);
    }
}
