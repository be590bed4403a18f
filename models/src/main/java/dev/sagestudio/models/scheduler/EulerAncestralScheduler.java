package dev.sagestudio.models.scheduler;

import dev.sagestudio.models.noise.NoiseSource;

/**
 * Euler ancestral (diffusers' EulerAncestralDiscreteScheduler): an Euler step down to σ_down, then fresh noise of
 * σ_up, with σ_up = √(σ_next²(σ²−σ_next²)/σ²) and σ_down = √(σ_next²−σ_up²), so the noise level lands on σ_next.
 */
public final class EulerAncestralScheduler extends KarrasSigmaScheduler {

    public EulerAncestralScheduler(SchedulerConfig config) {
        super(config);
    }

    @Override
    public StepResult step(float[] modelOutput, int stepIndex, float[] sample, NoiseSource noise) {
        float[] x0 = predictX0(modelOutput, stepIndex, sample);
        double sigma = sigmas[stepIndex];
        double next = sigmas[stepIndex + 1];
        double up = Math.sqrt(next * next * (sigma * sigma - next * next) / (sigma * sigma));
        double down = Math.sqrt(next * next - up * up);
        float[] z = up > 0 ? noise.next(sample.length) : null;
        float[] prev = new float[sample.length];
        for (int i = 0; i < prev.length; i++) {
            double derivative = (sample[i] - x0[i]) / sigma;
            prev[i] = (float) (sample[i] + derivative * (down - sigma) + (z == null ? 0 : z[i] * up));
        }
        return new StepResult(prev, x0);
    }
}
