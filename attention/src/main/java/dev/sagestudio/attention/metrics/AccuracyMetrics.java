package dev.sagestudio.attention.metrics;

/**
 * How close an attention output O' is to the reference O, as the SageAttention papers measure it,
 * all computed in double precision over every element:
 * <ul>
 *   <li>cosine similarity ΣO·O' / (‖O‖ ‖O'‖) — 1 when both are zero, 0 when only one is;
 *   <li>relative L1 distance Σ|O − O'| / Σ|O| — 0 when both are zero, +∞ when only O is;
 *   <li>root mean square error sqrt(Σ(O − O')² / n);
 *   <li>maximum absolute error max|O − O'|.
 * </ul>
 * A NaN anywhere in O' makes every metric NaN, so it can never pass a threshold.
 */
public record AccuracyMetrics(double cosineSimilarity, double relativeL1, double rmse, double maxAbsError) {

    /** Compares {@code actual} with {@code reference}, element by element. */
    public static AccuracyMetrics compare(double[] reference, float[] actual) {
        double[] widened = new double[actual.length];
        for (int i = 0; i < actual.length; i++) {
            widened[i] = actual[i];
        }
        return compare(reference, widened);
    }

    /** Compares {@code actual} with {@code reference}, element by element. */
    public static AccuracyMetrics compare(double[] reference, double[] actual) {
        if (reference.length != actual.length) {
            throw new IllegalArgumentException("cannot compare " + actual.length + " values with a reference of "
                    + reference.length);
        }
        if (reference.length == 0) {
            throw new IllegalArgumentException("cannot compare empty outputs");
        }
        double dot = 0;
        double normRef = 0;
        double normAct = 0;
        double absDiff = 0;
        double absRef = 0;
        double squaredDiff = 0;
        double maxAbs = 0;
        boolean nan = false;
        for (int i = 0; i < reference.length; i++) {
            double r = reference[i];
            double a = actual[i];
            if (Double.isNaN(a) || Double.isNaN(r)) {
                nan = true;
            }
            double diff = Math.abs(r - a);
            dot += r * a;
            normRef += r * r;
            normAct += a * a;
            absDiff += diff;
            absRef += Math.abs(r);
            squaredDiff += diff * diff;
            maxAbs = Math.max(maxAbs, diff);
        }
        if (nan) {
            return new AccuracyMetrics(Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        double cosine;
        if (normRef == 0 && normAct == 0) {
            cosine = 1;
        } else if (normRef == 0 || normAct == 0) {
            cosine = 0;
        } else {
            cosine = dot / (Math.sqrt(normRef) * Math.sqrt(normAct));
        }
        double relativeL1 = absRef == 0 ? (absDiff == 0 ? 0 : Double.POSITIVE_INFINITY) : absDiff / absRef;
        double rmse = Math.sqrt(squaredDiff / reference.length);
        return new AccuracyMetrics(cosine, relativeL1, rmse, maxAbs);
    }
}
