package dev.sagestudio.models.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Beta schedules and timestep spacings against the hand-derived values in resources/scheduler/beta-schedules.md. */
class NoiseScheduleTest {

    private static double[] alphasCumprod(BetaSchedule schedule, int n, double start, double end) {
        var config = new SchedulerConfig(SchedulerName.DDIM, PredictionType.EPSILON, n, schedule, start, end,
                TimestepSpacing.TRAILING, 1, 0);
        return new NoiseSchedule(config).alphasCumprod();
    }

    @Test
    void linearBetasGiveTheHandComputedProducts() {
        assertArrayEquals(new double[] {0.9, 0.765, 0.612, 0.459, 0.3213, 0.208845, 0.125307, 0.06891885,
                0.034459425, 0.01550674125}, alphasCumprod(BetaSchedule.LINEAR, 10, 0.10, 0.55), 1e-15);
    }

    @Test
    void scaledLinearInterpolatesTheSquareRoots() {
        assertArrayEquals(new double[] {0.99, 0.967725, 0.929016},
                alphasCumprod(BetaSchedule.SCALED_LINEAR, 3, 0.01, 0.04), 1e-15);
    }

    @Test
    void squaredCosineTelescopesToTheCosineCurveAndCapsTheLastBeta() {
        int n = 1000;
        double[] acp = alphasCumprod(BetaSchedule.SQUAREDCOS_CAP_V2, n, 0, 0);
        for (int t : new int[] {0, 1, 250, 500, 900, 990}) {
            assertEquals(abar((t + 1.0) / n) / abar(0), acp[t], 1e-12, "t=" + t);
        }
        double[] betas = NoiseSchedule.betas(BetaSchedule.SQUAREDCOS_CAP_V2, n, 0, 0);
        assertEquals(0.999, betas[n - 1], 0);
    }

    private static double abar(double s) {
        double c = Math.cos((s + 0.008) / 1.008 * Math.PI / 2);
        return c * c;
    }

    @Test
    void timestepSpacingsFollowDiffusers() {
        assertArrayEquals(new int[] {900, 800, 700, 600, 500, 400, 300, 200, 100, 0},
                NoiseSchedule.timesteps(TimestepSpacing.LEADING, 1000, 10));
        assertArrayEquals(new int[] {999, 899, 799, 699, 599, 499, 399, 299, 199, 99},
                NoiseSchedule.timesteps(TimestepSpacing.TRAILING, 1000, 10));
        assertArrayEquals(new int[] {999, 888, 777, 666, 555, 444, 333, 222, 111, 0},
                NoiseSchedule.timesteps(TimestepSpacing.LINSPACE, 1000, 10));
    }

    @Test
    void trailingRoundsHalfToEvenAsNumpy() {
        int[] t = NoiseSchedule.timesteps(TimestepSpacing.TRAILING, 1000, 16);
        assertEquals(999, t[0]);
        assertEquals(937, t[1]); // round(937.5) = 938 (even), minus 1
        assertEquals(811, t[3]); // round(812.5) = 812 (even), minus 1
        assertEquals(61, t[15]); // round(62.5) = 62, minus 1
    }

    @Test
    void moreStepsThanTrainingTimestepsIsRefused() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> NoiseSchedule.timesteps(TimestepSpacing.TRAILING, 1000, 1001));
        assertEquals("steps must be in 1..1000, got 1001", e.getMessage());
    }
}
