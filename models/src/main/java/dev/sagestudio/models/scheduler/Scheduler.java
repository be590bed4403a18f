package dev.sagestudio.models.scheduler;

import dev.sagestudio.models.noise.NoiseSource;

/**
 * A diffusion sampler in the style of diffusers, on flattened float tensors. Use:
 * <pre>
 *   s.setTimesteps(steps);
 *   x = noise * s.initNoiseSigma();
 *   for i in 0..steps-1:
 *       out = denoiser(s.scaleModelInput(x, i), s.timesteps()[i], text)
 *       x = s.step(out, i, x, noise).prevSample();
 * </pre>
 * Steps are addressed by their index into {@link #timesteps()} (not by timestep value, which need not be unique
 * after rounding). Instances keep state between steps (multistep solvers) and are not thread-safe.
 */
public interface Scheduler {

    /** Chooses {@code steps} inference steps and resets any multistep history. */
    void setTimesteps(int steps);

    /** The value passed to the denoiser as {@code timestep} at each step (docs/model-bundle.md). */
    float[] timesteps();

    /** Standard deviation of the initial noise, by which a unit normal sample is multiplied. */
    default double initNoiseSigma() {
        return 1.0;
    }

    /** The denoiser's input at step {@code stepIndex}; the sample itself unless the scheduler rescales it. */
    default float[] scaleModelInput(float[] sample, int stepIndex) {
        return sample;
    }

    /**
     * One step from the sample at {@code timesteps()[stepIndex]} to the next one, given the denoiser's output
     * there. {@code noise} is used by stochastic schedulers only (may be null for the others).
     */
    StepResult step(float[] modelOutput, int stepIndex, float[] sample, NoiseSource noise);

    /** The sample for the next step and the clean sample x0 predicted at this one (for previews). */
    record StepResult(float[] prevSample, float[] predictedOriginalSample) {
    }

    /**
     * Step {@code stepIndex} as an element-wise affine map, when it is one (no noise, no multistep history, the model
     * input is the sample itself): then {@code step} computes exactly {@code prev = sampleScale·x + outputScale·out}
     * and {@code x0 = x0SampleScale·x + x0OutputScale·out}, and a caller may apply it where the tensors are (on the
     * GPU) with only these scalars crossing. Empty for steps that are not such a map.
     */
    default java.util.Optional<AffineStep> affineStep(int stepIndex) {
        return java.util.Optional.empty();
    }

    /** Coefficients of an affine step; see {@link #affineStep(int)}. */
    record AffineStep(double sampleScale, double outputScale, double x0SampleScale, double x0OutputScale) {
    }
}
