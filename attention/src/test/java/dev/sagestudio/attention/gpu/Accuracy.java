package dev.sagestudio.attention.gpu;

import java.util.Locale;

/** How close an output is to the exact one: cosine similarity, relative L1, max abs error, NaN count. */
record Accuracy(double cosine, double relativeL1, double maxAbsError, long nonFinite) {

    static Accuracy of(float[] actual, double[] expected) {
        if (actual.length != expected.length) {
            throw new IllegalArgumentException("lengths differ: " + actual.length + " vs " + expected.length);
        }
        double dot = 0;
        double aa = 0;
        double ee = 0;
        double diff = 0;
        double norm = 0;
        double max = 0;
        long bad = 0;
        for (int i = 0; i < actual.length; i++) {
            double a = actual[i];
            double e = expected[i];
            if (!Double.isFinite(a)) {
                bad++;
                continue;
            }
            dot += a * e;
            aa += a * a;
            ee += e * e;
            diff += Math.abs(a - e);
            norm += Math.abs(e);
            max = Math.max(max, Math.abs(a - e));
        }
        return new Accuracy(dot / Math.sqrt(aa * ee), diff / norm, max, bad);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "cos=%.7f relL1=%.5f maxAbs=%.4g nonFinite=%d", cosine, relativeL1,
                maxAbsError, nonFinite);
    }
}
