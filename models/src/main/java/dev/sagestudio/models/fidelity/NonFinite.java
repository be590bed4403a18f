package dev.sagestudio.models.fidelity;

/** Finding NaN and Inf in float arrays. */
public final class NonFinite {

    private NonFinite() {
    }

    /** Index of the first NaN or infinite value in {@code values}, or -1 if all are finite. */
    public static int firstIndex(float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                return i;
            }
        }
        return -1;
    }

    /** How many values are NaN or infinite. */
    public static int count(float[] values) {
        int n = 0;
        for (float v : values) {
            if (!Float.isFinite(v)) {
                n++;
            }
        }
        return n;
    }

    /** "NaN", "+Inf" or "-Inf". */
    public static String describe(float value) {
        return Float.isNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf";
    }
}
