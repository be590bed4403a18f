package dev.sagestudio.models.noise;

/**
 * Seeded standard normal noise that is bit-identical on every JVM, OS and backend: the same seed gives the
 * same tensor everywhere, so a prompt + seed reproduces an image across machines and attention backends.
 *
 * <p>Definition (fixed; changing it changes every seeded result):
 * <ol>
 *   <li>Uniform bits: SplitMix64 (Steele, Lea, Flood 2014): {@code state += 0x9E3779B97F4A7C15;
 *       z = state; z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9; z = (z ^ (z >>> 27)) * 0x94D049BB133111EB;
 *       return z ^ (z >>> 31)}, starting from {@code state = seed}.</li>
 *   <li>Uniform double: {@code u = ((bits >>> 11) + 1) * 2^-53}, in (0, 1] so that log(u) is finite.</li>
 *   <li>Box-Muller on consecutive pairs (u1, u2): {@code r = sqrt(-2 ln u1)}, value 2k = {@code r cos(2π u2)},
 *       value 2k+1 = {@code r sin(2π u2)}, computed in double with {@link StrictMath} (fdlibm, identical on
 *       every JVM) and rounded to float.</li>
 * </ol>
 * Tensors are filled in row-major order of their shape. Not thread-safe.
 */
public final class SeededNoise implements NoiseSource {

    private static final double TWO_POW_M53 = 0x1.0p-53;

    private long state;
    private double spare;
    private boolean hasSpare;

    public SeededNoise(long seed) {
        this.state = seed;
    }

    /** The next 64 raw SplitMix64 bits. */
    public long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The next uniform double in (0, 1]. */
    public double nextUniform() {
        return ((nextLong() >>> 11) + 1) * TWO_POW_M53;
    }

    /** The next standard normal value, in double before rounding. */
    public double nextGaussian() {
        if (hasSpare) {
            hasSpare = false;
            return spare;
        }
        double r = StrictMath.sqrt(-2.0 * StrictMath.log(nextUniform()));
        double angle = 2.0 * StrictMath.PI * nextUniform();
        spare = r * StrictMath.sin(angle);
        hasSpare = true;
        return r * StrictMath.cos(angle);
    }

    @Override
    public void fill(float[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) nextGaussian();
        }
    }
}
