package dev.sagestudio.models.pipeline;

/** Classifier-free guidance (Ho and Salimans 2022): guided = uncond + scale · (cond − uncond). */
public final class ClassifierFreeGuidance {

    private ClassifierFreeGuidance() {
    }

    /** The guided output; {@code scale} 1 gives {@code cond}, 0 gives {@code uncond}. */
    public static float[] combine(float[] cond, float[] uncond, double scale) {
        if (cond.length != uncond.length) {
            throw new IllegalArgumentException("conditional and unconditional outputs differ in size: " + cond.length
                    + " vs " + uncond.length);
        }
        float s = (float) scale;
        float[] out = new float[cond.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = uncond[i] + s * (cond[i] - uncond[i]);
        }
        return out;
    }
}
