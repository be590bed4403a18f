package dev.sagestudio.models.scheduler;

import dev.sagestudio.models.noise.NoiseSource;

/**
 * DDIM (Song et al. 2021), as diffusers' DDIMScheduler with set_alpha_to_one and no clipping:
 * x_prev = √ᾱ_prev·x0 + √(1−ᾱ_prev−s²)·ε + s·z, s = eta·√((1−ᾱ_prev)/(1−ᾱ))·√(1−ᾱ/ᾱ_prev).
 */
public final class DdimScheduler extends DdpmScheduler {

    public DdimScheduler(SchedulerConfig config) {
        super(config);
    }

    @Override
    public StepResult step(float[] modelOutput, int stepIndex, float[] sample, NoiseSource noise) {
        check(modelOutput, stepIndex, sample);
        double a = alphaCumprodAt(stepIndex);
        double aPrev = alphaCumprodAt(stepIndex + 1);
        float[] x0 = Predictions.x0(config.prediction(), modelOutput, sample, Math.sqrt(a), Math.sqrt(1 - a));
        float[] eps = Predictions.epsilon(config.prediction(), modelOutput, sample, Math.sqrt(a), Math.sqrt(1 - a));
        double s = config.eta() * Math.sqrt((1 - aPrev) / (1 - a)) * Math.sqrt(1 - a / aPrev);
        float[] z = s > 0 ? noise.next(sample.length) : null;
        double dirCoef = Math.sqrt(Math.max(0, 1 - aPrev - s * s));
        float[] prev = new float[sample.length];
        for (int i = 0; i < prev.length; i++) {
            prev[i] = (float) (Math.sqrt(aPrev) * x0[i] + dirCoef * eps[i] + (z == null ? 0 : s * z[i]));
        }
        return new StepResult(prev, x0);
    }
}
