package dev.sagestudio.models.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.noise.SeededNoise;
import dev.sagestudio.models.scheduler.Scheduler.StepResult;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Schedulers against closed forms: with a denoiser that knows the true x0 (an "oracle"), the exact solution of
 * each sampler's ODE is known, so results are checked against values derived by hand in the comments.
 */
class SchedulersTest {

    private static final int N = 64;

    /** Stable Diffusion's schedule: scaled_linear 0.00085..0.012 over 1000 steps. */
    private static SchedulerConfig sd(SchedulerName name, PredictionType prediction) {
        return SchedulerConfig.ddpm(name, prediction, BetaSchedule.SCALED_LINEAR, 0.00085, 0.012);
    }

    private static float[] x0() {
        float[] x0 = new SeededNoise(11).next(N);
        for (int i = 0; i < N; i++) {
            x0[i] = Math.max(-1, Math.min(1, x0[i] * 0.5f));
        }
        return x0;
    }

    /**
     * The output of a perfect denoiser whose x0 prediction is {@code x0} at DDPM sample {@code xt} and timestep
     * {@code t}: ε = (x_t − α·x0)/σ, v = α·ε − σ·x0.
     */
    private static float[] oracle(SchedulerConfig config, float[] x0, float[] xt, float t) {
        double a = new NoiseSchedule(config).alphaCumprod((int) t);
        double alpha = Math.sqrt(a);
        double sigma = Math.sqrt(1 - a);
        float[] out = new float[xt.length];
        for (int i = 0; i < out.length; i++) {
            double eps = (xt[i] - alpha * x0[i]) / sigma;
            out[i] = (float) (config.prediction() == PredictionType.V ? alpha * eps - sigma * x0[i] : eps);
        }
        return out;
    }

    /** Runs a full sampling loop from seeded noise; {@code model} maps (model input, timestep index) to output. */
    private static float[] sample(Scheduler s, int steps, BiFunction<float[], Float, float[]> model) {
        s.setTimesteps(steps);
        float[] x = new SeededNoise(5).next(N);
        for (int i = 0; i < N; i++) {
            x[i] *= (float) s.initNoiseSigma();
        }
        for (int k = 0; k < steps; k++) {
            float[] out = model.apply(s.scaleModelInput(x, k), s.timesteps()[k]);
            x = s.step(out, k, x, new SeededNoise(100 + k)).prevSample();
        }
        return x;
    }

    @ParameterizedTest
    @EnumSource(value = PredictionType.class, names = {"EPSILON", "V"})
    void ddimWithTheTrueNoiseReturnsTheSampleOnTheSameTrajectory(PredictionType prediction) {
        // x_t = √ᾱ_t·x0 + √(1−ᾱ_t)·ε and an exact prediction ⇒ DDIM(eta 0) gives √ᾱ_prev·x0 + √(1−ᾱ_prev)·ε.
        var config = sd(SchedulerName.DDIM, prediction);
        var schedule = new NoiseSchedule(config);
        Scheduler s = config.create();
        s.setTimesteps(10); // trailing: 999, 899, ..., 99
        float[] x0 = x0();
        float[] eps = new SeededNoise(3).next(N);
        int t = 499;
        int tPrev = 399;
        assertEquals(t, (int) s.timesteps()[5]);
        float[] xt = mix(schedule.alphaCumprod(t), x0, eps);

        StepResult r = s.step(oracle(config, x0, xt, t), 5, xt, null);

        assertArrayEquals(mix(schedule.alphaCumprod(tPrev), x0, eps), r.prevSample(), 2e-5f);
        assertArrayEquals(x0, r.predictedOriginalSample(), 2e-5f);
    }

    private static float[] mix(double acp, float[] x0, float[] eps) {
        float[] x = new float[x0.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (Math.sqrt(acp) * x0[i] + Math.sqrt(1 - acp) * eps[i]);
        }
        return x;
    }

    @ParameterizedTest
    @EnumSource(value = SchedulerName.class, names = {"DDIM", "EULER", "DPMPP_2M"})
    void everyDeterministicSamplerEndsOnX0WhenTheDenoiserKnowsIt(SchedulerName name) {
        for (PredictionType prediction : new PredictionType[] {PredictionType.EPSILON, PredictionType.V}) {
            var config = sd(name, prediction);
            float[] x0 = x0();
            float[] result = sample(config.create(), 12, (x, t) -> oracle(config, x0, x, t));
            assertArrayEquals(x0, result, 1e-4f, name + " " + prediction);
        }
    }

    @Test
    void eulerFollowsTheExactSolutionOfItsLinearOde() {
        // With x0 fixed, dx/dσ = (x − x0)/σ has the solutions x = x0 + σ·c, linear in σ: Euler is exact,
        // so after each step x − x0 = σ_next·c with c = (x_start − x0)/σ_0.
        var config = sd(SchedulerName.EULER, PredictionType.EPSILON);
        var s = (EulerScheduler) config.create();
        s.setTimesteps(8);
        double[] sigmas = s.sigmas();
        float[] x0 = x0();
        float[] x = new SeededNoise(9).next(N);
        float[] c = new float[N];
        for (int i = 0; i < N; i++) {
            x[i] *= (float) s.initNoiseSigma();
            c[i] = (float) ((x[i] - x0[i]) / sigmas[0]);
        }
        for (int k = 0; k < 8; k++) {
            x = s.step(oracle(config, x0, s.scaleModelInput(x, k), s.timesteps()[k]), k, x, null).prevSample();
            for (int i = 0; i < N; i++) {
                assertEquals(x0[i] + sigmas[k + 1] * c[i], x[i], 1e-4 * (1 + Math.abs(x[i])), "step " + k);
            }
        }
    }

    @Test
    void eulerSigmasAreTheKarrasNoiseLevelsOfTheChosenTimesteps() {
        var s = (EulerScheduler) sd(SchedulerName.EULER, PredictionType.EPSILON).create();
        s.setTimesteps(4);
        var schedule = new NoiseSchedule(sd(SchedulerName.EULER, PredictionType.EPSILON));
        double a = schedule.alphaCumprod(999);
        assertEquals(Math.sqrt((1 - a) / a), s.sigmas()[0], 1e-12);
        assertEquals(0.0, s.sigmas()[4]);
        // The denoiser sees x/√(σ²+1), the DDPM x_t.
        assertEquals(1 / Math.sqrt((1 - a) / a + 1), s.scaleModelInput(new float[] {1}, 0)[0], 1e-6f);
    }

    @Test
    void eulerScalesTheInitialNoiseAsDiffusersForEachSpacing() {
        // diffusers' EulerDiscreteScheduler.init_noise_sigma: σ_max for linspace and trailing, √(σ_max²+1) for leading
        double a = new NoiseSchedule(sd(SchedulerName.EULER, PredictionType.EPSILON)).alphaCumprod(999);
        for (TimestepSpacing spacing : TimestepSpacing.values()) {
            var s = (EulerScheduler) sd(SchedulerName.EULER, PredictionType.EPSILON).withSpacing(spacing).create();
            s.setTimesteps(4);
            double max = s.sigmas()[0];
            assertEquals(spacing == TimestepSpacing.LEADING ? Math.sqrt(max * max + 1) : max, s.initNoiseSigma(),
                    1e-12, spacing.name());
        }
        var trailing = (EulerScheduler) sd(SchedulerName.EULER, PredictionType.EPSILON).create();
        trailing.setTimesteps(4);
        assertEquals(Math.sqrt((1 - a) / a), trailing.initNoiseSigma(), 1e-12);
    }

    @Test
    void dpmSolverSpacesItsTimestepsAsDiffusersMultistepSolvers() {
        // DPMSolverMultistepScheduler: linspace(0, 999, N + 1).round()[::-1][:-1]; leading (arange(N + 1) * (1000 //
        // (N + 1)))[::-1][:-1]; trailing as DDIM's
        Scheduler linspace = sd(SchedulerName.DPMPP_2M, PredictionType.EPSILON).withSpacing(TimestepSpacing.LINSPACE)
                .create();
        linspace.setTimesteps(4);
        assertArrayEquals(new float[] {999, 749, 500, 250}, linspace.timesteps());
        linspace.setTimesteps(10);
        assertArrayEquals(new float[] {999, 899, 799, 699, 599, 500, 400, 300, 200, 100}, linspace.timesteps());
        Scheduler leading = sd(SchedulerName.DPMPP_2M, PredictionType.EPSILON).withSpacing(TimestepSpacing.LEADING)
                .create();
        leading.setTimesteps(10);
        assertArrayEquals(new float[] {900, 810, 720, 630, 540, 450, 360, 270, 180, 90}, leading.timesteps());
        Scheduler trailing = sd(SchedulerName.DPMPP_2M, PredictionType.EPSILON).create();
        trailing.setTimesteps(4);
        assertArrayEquals(new float[] {999, 749, 499, 249}, trailing.timesteps());
    }

    @Test
    void eulerAncestralSplitsTheNextNoiseLevelIntoAnOdeStepAndFreshNoise() {
        // σ_up² + σ_down² = σ_next², and x_prev = x0 + (σ_down/σ)(x − x0) + σ_up·z with z the injected noise.
        var config = sd(SchedulerName.EULER_ANCESTRAL, PredictionType.EPSILON);
        var s = (EulerAncestralScheduler) config.create();
        s.setTimesteps(10);
        double sigma = s.sigmas()[3];
        double next = s.sigmas()[4];
        double up = Math.sqrt(next * next * (sigma * sigma - next * next) / (sigma * sigma));
        double down = Math.sqrt(next * next - up * up);
        int n = 50_000;
        float[] x0 = new float[n];
        float[] eps = new SeededNoise(1).next(n);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x0[i] = (float) Math.sin(i);
            x[i] = (float) (x0[i] + sigma * eps[i]);
        }
        float[] out = oracle(config, x0, s.scaleModelInput(x, 3), s.timesteps()[3]);

        float[] prev = s.step(out, 3, x, new SeededNoise(77)).prevSample();

        float[] z = new SeededNoise(77).next(n);
        double sq = 0;
        for (int i = 0; i < n; i++) {
            assertEquals(x0[i] + down / sigma * (x[i] - x0[i]) + up * z[i], prev[i], 1e-4, "element " + i);
            sq += (prev[i] - x0[i]) * (prev[i] - x0[i]);
        }
        // The remaining noise has standard deviation σ_next (50k samples: ±1% is over 3 standard errors).
        assertEquals(next, Math.sqrt(sq / n), 0.01 * next);
    }

    @Test
    void dpmSolverFirstStepIsADdimStep() {
        // Shown in DpmSolverPlusPlus2MScheduler's comment: σ_t/σ_s·(x − α_s·m0) + α_t·m0 = σ_t·ε + α_t·x0.
        float[] x0 = x0();
        float[] x = new SeededNoise(2).next(N);
        Scheduler ddim = sd(SchedulerName.DDIM, PredictionType.EPSILON).create();
        Scheduler dpm = sd(SchedulerName.DPMPP_2M, PredictionType.EPSILON).create();
        ddim.setTimesteps(20);
        dpm.setTimesteps(20);
        float[] out = oracle(sd(SchedulerName.DDIM, PredictionType.EPSILON), x0, x, 999);
        assertArrayEquals(ddim.step(out, 0, x, null).prevSample(), dpm.step(out, 0, x, null).prevSample(), 1e-5f);
    }

    @Test
    void dpmSolverTwoMIsSecondOrderWhereDdimIsFirstOrder() {
        // Oracle with x0 varying in λ = ln(α/σ): x0(λ) = a + b·λ. The exact solution of the data-prediction ODE is
        // x_t = (σ_t/σ_s)·x_s + σ_t·∫ e^λ x0(λ) dλ = (σ_t/σ_s)·x_s + σ_t·[e^λ (a + bλ − b)] from λ_s to λ_t.
        // Halving the step (trailing grids of 20 and 40 points: 999, 949, ... and 999, 974, ... are nested) should cut
        // the error at the common timestep 499 about 4x for 2M (second order) and 2x for DDIM (first order).
        double[] ddim = {error(SchedulerName.DDIM, 20, 10), error(SchedulerName.DDIM, 40, 20)};
        double[] dpm = {error(SchedulerName.DPMPP_2M, 20, 10), error(SchedulerName.DPMPP_2M, 40, 20)};
        System.out.printf("DDIM errors %.3g %.3g, DPM++2M errors %.3g %.3g%n", ddim[0], ddim[1], dpm[0], dpm[1]);
        double ddimRatio = ddim[0] / ddim[1];
        double dpmRatio = dpm[0] / dpm[1];
        assertTrue(ddimRatio > 1.6 && ddimRatio < 2.6, "DDIM error ratio " + ddimRatio);
        assertTrue(dpmRatio > 3.2, "DPM++2M error ratio " + dpmRatio + " errors " + dpm[0] + ", " + dpm[1]);
        assertTrue(dpm[1] < ddim[1] / 5, "2M " + dpm[1] + " vs DDIM " + ddim[1]);
    }

    /** Max error against the closed form at timestep index {@code stop}. */
    private static double error(SchedulerName name, int steps, int stop) {
        var config = sd(name, PredictionType.EPSILON);
        var schedule = new NoiseSchedule(config);
        double a = 0.2;
        double b = 0.3;
        Scheduler s = config.create();
        s.setTimesteps(steps);
        float[] x = new SeededNoise(4).next(N);
        float[] start = x.clone();
        for (int k = 0; k < stop; k++) {
            double lambda = lambda(schedule, (int) s.timesteps()[k]);
            float[] x0 = new float[N];
            java.util.Arrays.fill(x0, (float) (a + b * lambda));
            x = s.step(oracle(config, x0, x, s.timesteps()[k]), k, x, null).prevSample();
        }
        double ls = lambda(schedule, (int) s.timesteps()[0]);
        double lt = lambda(schedule, (int) s.timesteps()[stop]);
        double sigmaS = Math.sqrt(1 - schedule.alphaCumprod((int) s.timesteps()[0]));
        double sigmaT = Math.sqrt(1 - schedule.alphaCumprod((int) s.timesteps()[stop]));
        double integral = Math.exp(lt) * (a + b * lt - b) - Math.exp(ls) * (a + b * ls - b);
        double max = 0;
        for (int i = 0; i < N; i++) {
            double exact = sigmaT / sigmaS * start[i] + sigmaT * integral;
            max = Math.max(max, Math.abs(exact - x[i]));
        }
        return max;
    }

    private static double lambda(NoiseSchedule schedule, int t) {
        double acp = schedule.alphaCumprod(t);
        return 0.5 * Math.log(acp / (1 - acp));
    }

    @Test
    void flowEulerIntegratesAConstantVelocityExactly() {
        // x_σ = (1−σ)·x0 + σ·ε has the constant velocity ε − x0: Euler is exact for any grid, so from x_1 = ε it
        // reaches x0, and every intermediate sample lies on the line.
        for (double shift : new double[] {1.0, 3.0}) {
            var s = (FlowMatchEulerScheduler) SchedulerConfig.flow(1000, shift).create();
            float[] x0 = x0();
            float[] eps = new SeededNoise(6).next(N);
            float[] v = new float[N];
            for (int i = 0; i < N; i++) {
                v[i] = eps[i] - x0[i];
            }
            s.setTimesteps(7);
            float[] x = eps.clone();
            for (int k = 0; k < 7; k++) {
                StepResult r = s.step(v, k, x, null);
                assertArrayEquals(x0, r.predictedOriginalSample(), 1e-5f);
                x = r.prevSample();
                double sigma = s.sigmas()[k + 1];
                for (int i = 0; i < N; i++) {
                    assertEquals((1 - sigma) * x0[i] + sigma * eps[i], x[i], 1e-5);
                }
            }
            assertArrayEquals(x0, x, 1e-5f);
        }
    }

    @Test
    void aStepThatDeclaresItselfAffineComputesExactlyThatMapAndTheOthersDeclareNothing() {
        java.util.Random random = new java.util.Random(5);
        for (SchedulerConfig config : List.of(SchedulerConfig.flow(1000, 3), SchedulerConfig.flow(1000, 1),
                sd(SchedulerName.DDIM, PredictionType.EPSILON), sd(SchedulerName.EULER, PredictionType.EPSILON),
                sd(SchedulerName.DPMPP_2M, PredictionType.V))) {
            Scheduler s = config.create();
            s.setTimesteps(7);
            boolean declared = false;
            for (int i = 0; i < 7; i++) {
                float[] x = new float[16];
                float[] out = new float[16];
                for (int j = 0; j < x.length; j++) {
                    x[j] = (float) random.nextGaussian();
                    out[j] = (float) random.nextGaussian();
                }
                var affine = s.affineStep(i);
                Scheduler.StepResult r = s.step(out, i, x, null);
                if (affine.isEmpty()) {
                    continue;
                }
                declared = true;
                var a = affine.get();
                for (int j = 0; j < x.length; j++) {
                    assertEquals(a.sampleScale() * x[j] + a.outputScale() * out[j], r.prevSample()[j], 1e-5,
                            config.name() + " step " + i);
                    assertEquals(a.x0SampleScale() * x[j] + a.x0OutputScale() * out[j],
                            r.predictedOriginalSample()[j], 1e-5, config.name() + " x0 at step " + i);
                }
            }
            // Only flow Euler declares its steps today; the others keep their host step (history, input scaling).
            assertEquals(config.name() == SchedulerName.FLOW_EULER, declared, config.name().jsonName());
        }
    }

    @Test
    void flowSigmasAreShiftedAndTimestepsAreSigmaTimesTrainSteps() {
        // shift(σ) = sσ/(1 + (s−1)σ): s = 3, σ = 0.5 → 1.5/2 = 0.75; σ = 1 stays 1, σ = 0 stays 0.
        assertEquals(0.75, FlowMatchEulerScheduler.shift(0.5, 3), 1e-15);
        var s = (FlowMatchEulerScheduler) SchedulerConfig.flow(1000, 3).create();
        s.setTimesteps(2);
        assertArrayEquals(new double[] {1.0, 0.75, 0.0}, s.sigmas(), 1e-15);
        assertArrayEquals(new float[] {1000f, 750f}, s.timesteps());
        var unit = SchedulerConfig.flow(1, 1).create();
        unit.setTimesteps(4);
        assertArrayEquals(new float[] {1f, 0.75f, 0.5f, 0.25f}, unit.timesteps());
    }

    @Test
    void ddimWithEtaAddsTheInjectedNoise() {
        var config = sd(SchedulerName.DDIM, PredictionType.EPSILON);
        Scheduler deterministic = config.create();
        Scheduler stochastic = config.withEta(1.0).create();
        deterministic.setTimesteps(10);
        stochastic.setTimesteps(10);
        float[] x = new SeededNoise(8).next(N);
        float[] out = new SeededNoise(9).next(N);
        float[] a = deterministic.step(out, 2, x, null).prevSample();
        float[] b = stochastic.step(out, 2, x, new SeededNoise(10)).prevSample();
        Scheduler again = config.withEta(1.0).create();
        again.setTimesteps(10);
        float[] c = again.step(out, 2, x, new SeededNoise(10)).prevSample();
        assertTrue(maxDiff(a, b) > 0.01, "eta 1 must differ from eta 0");
        assertArrayEquals(b, c, "same noise seed, same result");
    }

    private static float maxDiff(float[] a, float[] b) {
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @Test
    void misuseIsRefusedClearly() {
        Scheduler s = sd(SchedulerName.DDIM, PredictionType.EPSILON).create();
        var e = assertThrows(IllegalStateException.class, () -> s.step(new float[2], 0, new float[2], null));
        assertEquals("call setTimesteps before step", e.getMessage());
        s.setTimesteps(4);
        var idx = assertThrows(IllegalArgumentException.class, () -> s.step(new float[2], 4, new float[2], null));
        assertEquals("step index 4 outside 0..3", idx.getMessage());
        var len = assertThrows(IllegalArgumentException.class, () -> s.step(new float[3], 0, new float[2], null));
        assertEquals("model output has 3 elements but the sample has 2", len.getMessage());
        var flow = assertThrows(IllegalArgumentException.class,
                () -> sd(SchedulerName.EULER, PredictionType.FLOW));
        assertEquals("euler cannot sample a model with prediction flow", flow.getMessage());
    }
}
