package dev.sagestudio.models.noise;

/** Standard normal noise for initial samples and stochastic scheduler steps. */
public interface NoiseSource {

    /** Overwrites {@code out} with the next {@code out.length} values of the stream. */
    void fill(float[] out);

    /** A new array of {@code n} values of the stream. */
    default float[] next(int n) {
        float[] out = new float[n];
        fill(out);
        return out;
    }
}
