package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** PSNR and SSIM against closed forms. */
class ImageMetricsTest {

    static float[] constant(int n, float v) {
        float[] out = new float[n];
        Arrays.fill(out, v);
        return out;
    }

    @Test
    void psnrOfAUniformOffsetIsTenLog10OfOneOverItsSquare() {
        // values in [-1, 1]: an offset of 0.2 is 0.1 in [0, 1], MSE 0.01, PSNR 20 dB
        float[] a = new float[3 * 16 * 16];
        Random random = new Random(1);
        for (int i = 0; i < a.length; i++) {
            a[i] = random.nextFloat() * 1.2f - 0.6f;
        }
        float[] b = a.clone();
        for (int i = 0; i < b.length; i++) {
            b[i] += 0.2f;
        }
        ImageMetrics m = ImageMetrics.compare(a, b, 1, 16, 16, -1, 1);
        assertEquals(20.0, m.psnr(), 1e-4);
    }

    @Test
    void ssimOfTwoFlatImagesIsTheLuminanceTermOnly() {
        // no variance and no covariance: SSIM = (2ab + C1) / (a^2 + b^2 + C1), C1 = 0.01^2
        ImageMetrics m = ImageMetrics.compare(constant(3 * 12 * 12, 0.5f), constant(3 * 12 * 12, 0.25f), 1, 12, 12, 0, 1);
        double c1 = 1e-4;
        assertEquals((2 * 0.5 * 0.25 + c1) / (0.25 + 0.0625 + c1), m.ssim(), 1e-12);
    }

    @Test
    void ssimIsOneForIdenticalImagesAndFallsWithNoise() {
        float[] a = new float[3 * 2 * 20 * 20];
        Random random = new Random(2);
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) Math.sin(i * 0.05) * 0.8f;
        }
        float[] b = a.clone();
        float[] c = a.clone();
        for (int i = 0; i < a.length; i++) {
            b[i] += (float) random.nextGaussian() * 0.02f;
            c[i] += (float) random.nextGaussian() * 0.2f;
        }
        assertEquals(1.0, ImageMetrics.compare(a, a, 2, 20, 20, -1, 1).ssim(), 1e-12);
        double small = ImageMetrics.compare(a, b, 2, 20, 20, -1, 1).ssim();
        double large = ImageMetrics.compare(a, c, 2, 20, 20, -1, 1).ssim();
        assertTrue(small < 1 && large < small && large > 0, small + " " + large);
    }

    @Test
    void valuesOutsideTheRangeAreClampedLikePixelsButTheRawCosineSeesThem() {
        ImageMetrics m = ImageMetrics.compare(constant(3 * 8 * 8, 1f), constant(3 * 8 * 8, 3f), 1, 8, 8, -1, 1);
        assertEquals(Double.POSITIVE_INFINITY, m.psnr());
        assertEquals(1.0, m.raw().cosineSimilarity(), 1e-12);
        assertEquals(2.0, m.raw().maxAbsError(), 1e-12);
    }

    @Test
    void perFrameMetricsSeeEachFrameAloneSoOnlyTheChangedFrameDrops() {
        // [3, 3, 8, 8]: frame 1 of B is offset by 0.2 (0.1 in [0, 1]: PSNR 20 dB); frames 0 and 2 are identical
        int frames = 3;
        int plane = 8 * 8;
        float[] a = new float[3 * frames * plane];
        Random random = new Random(3);
        for (int i = 0; i < a.length; i++) {
            a[i] = random.nextFloat() - 0.5f;
        }
        float[] b = a.clone();
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < plane; i++) {
                b[(c * frames + 1) * plane + i] += 0.2f;
            }
        }
        var perFrame = ImageMetrics.perFrame(a, b, frames, 8, 8, -1, 1);
        assertEquals(3, perFrame.size());
        assertEquals(Double.POSITIVE_INFINITY, perFrame.get(0).psnr());
        assertEquals(20.0, perFrame.get(1).psnr(), 1e-4);
        assertEquals(Double.POSITIVE_INFINITY, perFrame.get(2).psnr());
        assertEquals(0.2, perFrame.get(1).raw().maxAbsError(), 1e-6);
        // the whole clip's MSE is a third of frame 1's: 10·log10(3) dB above it
        assertEquals(20.0 + 10 * Math.log10(3), ImageMetrics.compare(a, b, frames, 8, 8, -1, 1).psnr(), 1e-4);
    }

    @Test
    void mismatchedOutputsAreRefused() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> ImageMetrics.compare(new float[12], new float[13], 1, 2, 2, 0, 1));
        assertTrue(e.getMessage().contains("[3, 1, 2, 2]"), e.getMessage());
    }
}
