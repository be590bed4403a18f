package dev.sagestudio.models.scheduler;

import dev.sagestudio.models.noise.NoiseSource;

/** Euler's method on the probability-flow ODE dx/dσ = (x − x0)/σ (diffusers' EulerDiscreteScheduler). */
public final class EulerScheduler extends KarrasSigmaScheduler {

    public EulerScheduler(SchedulerConfig config) {
        super(config);
    }

    @Override
    public StepResult step(float[] modelOutput, int stepIndex, float[] sample, NoiseSource noise) {
        float[] x0 = predictX0(modelOutput, stepIndex, sample);
        double sigma = sigmas[stepIndex];
        double dt = sigmas[stepIndex + 1] - sigma;
        float[] prev = new float[sample.length];
        for (int i = 0; i < prev.length; i++) {
            prev[i] = (float) (sample[i] + (sample[i] - x0[i]) / sigma * dt);
        }
        return new StepResult(prev, x0);
    }
}
