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
     * √(σ_max²+1): a unit normal DDPM x_T expressed in σ-space. (diffusers uses σ_max for trailing and linspace
     * spacing; the two differ by under 0.01% for the usual σ_max ≈ 14.6.)
     */
    @Override
    public double initNoiseSigma() {
        return sigmas.length == 0 ? 1.0 : Math.sqrt(sigmas[0] * sigmas[0] + 1);
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
