package dev.sagestudio.models.pipeline;

import dev.sagestudio.attention.metrics.AccuracyMetrics;
import java.util.ArrayList;
import java.util.List;

/**
 * How close two generated outputs are. Both are output tensors in the same value range [lo, hi], laid out
 * [3, F, H, W] (F = 1 for images); they are first mapped to [0, 1] and clamped, exactly as pixels are made
 * ({@code (x − lo)/(hi − lo)}), but not rounded to 8 bits, so the metrics see the model's differences and not the
 * quantization's.
 * <ul>
 *   <li>PSNR = 10·log10(1 / MSE) in dB over all values (peak 1); +∞ when identical.</li>
 *   <li>SSIM (Wang, Bovik, Sheikh, Simoncelli 2004) per channel on each frame with the standard settings: 11×11
 *       Gaussian window, σ = 1.5, K1 = 0.01, K2 = 0.03, L = 1, averaged over the "valid" positions (the window
 *       entirely inside the image, as the authors' ssim.m does), then over the three RGB channels and the frames.
 *       Images smaller than 11 pixels use the largest odd window that fits, with σ scaled by size/11.</li>
 *   <li>Cosine similarity (and relative L1, RMSE, max abs error) of the raw output tensors, unclamped, as
 *       {@link AccuracyMetrics} computes it.</li>
 * </ul>
 */
public record ImageMetrics(double psnr, double ssim, AccuracyMetrics raw) {

    static final int WINDOW = 11;
    static final double SIGMA = 1.5;
    static final double K1 = 0.01;
    static final double K2 = 0.03;

    /** Compares {@code b} with {@code a} (symmetric except for the relative L1 in {@link #raw()}). */
    public static ImageMetrics compare(float[] a, float[] b, int frames, int height, int width, double lo, double hi) {
        int plane = height * width;
        if (a.length != b.length || a.length != 3 * frames * plane) {
            throw new IllegalArgumentException("outputs must both be [3, " + frames + ", " + height + ", " + width
                    + "], got " + a.length + " and " + b.length + " values");
        }
        if (!(hi > lo)) {
            throw new IllegalArgumentException("value range must have lo < hi, got [" + lo + ", " + hi + "]");
        }
        double[] x = unit(a, lo, hi);
        double[] y = unit(b, lo, hi);
        double se = 0;
        for (int i = 0; i < x.length; i++) {
            double d = x[i] - y[i];
            se += d * d;
        }
        double mse = se / x.length;
        double psnr = mse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(1 / mse);
        double ssimSum = 0;
        for (int c = 0; c < 3; c++) {
            for (int f = 0; f < frames; f++) {
                int offset = (c * frames + f) * plane;
                ssimSum += ssim(x, y, offset, height, width);
            }
        }
        double[] ad = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            ad[i] = a[i];
        }
        return new ImageMetrics(psnr, ssimSum / (3.0 * frames), AccuracyMetrics.compare(ad, b));
    }

    /**
     * {@link #compare} of each frame of two [3, F, H, W] outputs on its own, in frame order (one entry for an image),
     * so a video's quality can be followed over time.
     */
    public static List<ImageMetrics> perFrame(float[] a, float[] b, int frames, int height, int width, double lo,
                                              double hi) {
        int plane = height * width;
        if (a.length != b.length || a.length != 3 * frames * plane) {
            throw new IllegalArgumentException("outputs must both be [3, " + frames + ", " + height + ", " + width
                    + "], got " + a.length + " and " + b.length + " values");
        }
        List<ImageMetrics> out = new ArrayList<>(frames);
        for (int f = 0; f < frames; f++) {
            out.add(compare(frame(a, f, frames, plane), frame(b, f, frames, plane), 1, height, width, lo, hi));
        }
        return out;
    }

    /** Frame {@code f} of a [3, F, H, W] tensor as [3, 1, H, W]. */
    private static float[] frame(float[] v, int f, int frames, int plane) {
        float[] out = new float[3 * plane];
        for (int c = 0; c < 3; c++) {
            System.arraycopy(v, (c * frames + f) * plane, out, c * plane, plane);
        }
        return out;
    }

    private static double[] unit(float[] v, double lo, double hi) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            double u = (v[i] - lo) / (hi - lo);
            out[i] = Double.isNaN(u) ? Double.NaN : Math.min(1, Math.max(0, u));
        }
        return out;
    }

    /** Mean SSIM of one plane of {@code x} and {@code y} starting at {@code offset}. */
    static double ssim(double[] x, double[] y, int offset, int height, int width) {
        int size = Math.min(WINDOW, Math.min(height, width));
        if (size % 2 == 0) {
            size--;
        }
        double sigma = SIGMA * size / WINDOW;
        double[] g = new double[size];
        double sum = 0;
        int r = size / 2;
        for (int i = 0; i < size; i++) {
            g[i] = Math.exp(-((i - r) * (i - r)) / (2 * sigma * sigma));
            sum += g[i];
        }
        for (int i = 0; i < size; i++) {
            g[i] /= sum;
        }
        double c1 = K1 * K1;
        double c2 = K2 * K2;
        double total = 0;
        int count = 0;
        for (int top = 0; top + size <= height; top++) {
            for (int left = 0; left + size <= width; left++) {
                double mx = 0;
                double my = 0;
                double xx = 0;
                double yy = 0;
                double xy = 0;
                for (int i = 0; i < size; i++) {
                    int row = offset + (top + i) * width + left;
                    for (int j = 0; j < size; j++) {
                        double wgt = g[i] * g[j];
                        double xv = x[row + j];
                        double yv = y[row + j];
                        mx += wgt * xv;
                        my += wgt * yv;
                        xx += wgt * xv * xv;
                        yy += wgt * yv * yv;
                        xy += wgt * xv * yv;
                    }
                }
                double vx = xx - mx * mx;
                double vy = yy - my * my;
                double cov = xy - mx * my;
                total += ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
                count++;
            }
        }
        return total / count;
    }
}
