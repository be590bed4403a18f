package dev.sagestudio.models.scheduler;

import dev.sagestudio.models.noise.NoiseSource;

/**
 * DPM-Solver++(2M) (Lu et al. 2022), as diffusers' DPMSolverMultistepScheduler with algorithm dpmsolver++,
 * solver_order 2, midpoint solver, final sigma 0 and a first-order final step. With λ = ln(α/σ), h = λ_t − λ_s:
 * first order x_t = (σ_t/σ_s)·x_s − α_t(e^{−h}−1)·m0 (= DDIM); second order adds D1 = (m0 − m1)·h/h_prev:
 * x_t = (σ_t/σ_s)·x_s − α_t(e^{−h}−1)·(m0 + D1/2), where m0, m1 are the current and previous x0 predictions.
 */
public final class DpmSolverPlusPlus2MScheduler extends DdpmScheduler {

    private float[] previousX0;
    private int previousIndex = -1;

    public DpmSolverPlusPlus2MScheduler(SchedulerConfig config) {
        super(config);
    }

    /** diffusers' multistep grid ({@link NoiseSchedule#multistepTimesteps}), not DDIM's. */
    @Override
    public void setTimesteps(int count) {
        steps = NoiseSchedule.multistepTimesteps(config.spacing(), config.numTrainTimesteps(), count);
        previousX0 = null;
        previousIndex = -1;
    }

    private double lambda(int i) {
        double a = alphaCumprodAt(i);
        return 0.5 * Math.log(a / (1 - a));
    }

    @Override
    public StepResult step(float[] modelOutput, int stepIndex, float[] sample, NoiseSource noise) {
        check(modelOutput, stepIndex, sample);
        double a = alphaCumprodAt(stepIndex);
        float[] m0 = Predictions.x0(config.prediction(), modelOutput, sample, Math.sqrt(a), Math.sqrt(1 - a));
        boolean last = stepIndex == steps.length - 1;
        boolean secondOrder = !last && previousX0 != null && previousIndex == stepIndex - 1;
        float[] prev = new float[sample.length];
        if (last) {
            System.arraycopy(m0, 0, prev, 0, prev.length); // σ_t = 0, α_t = 1: the first-order step gives m0
        } else {
            double aNext = alphaCumprodAt(stepIndex + 1);
            double h = lambda(stepIndex + 1) - lambda(stepIndex);
            double sigmaRatio = Math.sqrt((1 - aNext) / (1 - a));
            double coef = -Math.sqrt(aNext) * Math.expm1(-h); // −α_t(e^{−h}−1)
            double r = secondOrder ? h / (lambda(stepIndex) - lambda(stepIndex - 1)) : 0;
            for (int i = 0; i < prev.length; i++) {
                double d = m0[i] + (secondOrder ? 0.5 * r * (m0[i] - previousX0[i]) : 0);
                prev[i] = (float) (sigmaRatio * sample[i] + coef * d);
            }
        }
        previousX0 = m0;
        previousIndex = stepIndex;
        return new StepResult(prev, m0);
    }
}
