package dev.sagestudio.models.scheduler;

/**
 * Shared part of the Euler schedulers (Karras et al. 2022 form, as diffusers): the sample lives in
 * σ-space, x = x0 + σ·ε with σ = √((1−ᾱ)/ᾱ); the denoiser gets x/√(σ²+1), which is the DDPM x_t.
 */
abstract class KarrasSigmaScheduler extends DdpmScheduler {

    double[] sigmas = new double[0];

    KarrasSigmaScheduler(SchedulerConfig config) {
        super(config);
    }

    @Override
    public void setTimesteps(int count) {
        super.setTimesteps(count);
        sigmas = new double[count + 1]; // the last is 0: the clean sample
        for (int i = 0; i < count; i++) {
            double a = schedule.alphaCumprod(steps[i]);
            sigmas[i] = Math.sqrt((1 - a) / a);
        }
    }

    /** σ per step, then 0 (a copy). */
    public double[] sigmas() {
        return sigmas.clone();
    }

    /**
     * The scale of the initial noise, as diffusers' Euler schedulers choose it: σ_max for linspace and trailing
     * spacing, √(σ_max²+1) (a unit normal DDPM x_T expressed in σ-space) for leading. The two differ by about 0.2%
     * at Stable Diffusion's σ_max ≈ 14.6, which an Euler sampler carries to the end (its steps shift x by the model's
     * noise estimate, they do not rescale it), so the same seed gives diffusers' image only with diffusers' choice.
     */
    @Override
    public double initNoiseSigma() {
        if (sigmas.length == 0) {
            return 1.0;
        }
        double max = sigmas[0];
        return config.spacing() == TimestepSpacing.LEADING ? Math.sqrt(max * max + 1) : max;
    }

    @Override
    public float[] scaleModelInput(float[] sample, int stepIndex) {
        Predictions.checkIndex(stepIndex, steps.length);
        double scale = 1 / Math.sqrt(sigmas[stepIndex] * sigmas[stepIndex] + 1);
        float[] scaled = new float[sample.length];
        for (int i = 0; i < scaled.length; i++) {
            scaled[i] = (float) (sample[i] * scale);
        }
        return scaled;
    }

    /** x0 from the model output; the model saw x_t = x/√(σ²+1), i.e. α = 1/√(σ²+1), σ_t = σ/√(σ²+1). */
    float[] predictX0(float[] modelOutput, int stepIndex, float[] sample) {
        check(modelOutput, stepIndex, sample);
        double sigma = sigmas[stepIndex];
        double norm = Math.sqrt(sigma * sigma + 1);
        return Predictions.x0(config.prediction(), modelOutput, scaleModelInput(sample, stepIndex), 1 / norm,
                sigma / norm);
    }
}
