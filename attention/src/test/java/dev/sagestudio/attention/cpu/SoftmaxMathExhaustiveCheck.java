package dev.sagestudio.attention.cpu;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * Compares {@link SoftmaxMath#exp2} with {@code (float) Math.exp(x · ln 2)} for EVERY float x in
 * [{@value SoftmaxMath#FAST_MIN}, 0], and {@link SoftmaxMath#roundFp16} with {@code Fp16.round} for
 * every float in [0, 1]; prints the mismatch counts (must be 0). Too slow for the unit suite (about
 * a billion exponentials); run by hand after changing {@link SoftmaxMath}:
 * {@code java -cp attention/target/classes:attention/target/test-classes
 * dev.sagestudio.attention.cpu.SoftmaxMathExhaustiveCheck}.
 */
public final class SoftmaxMathExhaustiveCheck {
    private SoftmaxMathExhaustiveCheck() {}

    public static void main(String[] args) {
        int expEnd = Float.floatToRawIntBits(-SoftmaxMath.FAST_MIN); // magnitudes 0 .. 125
        int slices = 1024;
        AtomicLong expMismatches = new AtomicLong();
        AtomicLong maxUlps = new AtomicLong();
        AtomicLong guarded = new AtomicLong();
        long start = System.nanoTime();
        IntStream.range(0, slices).parallel().forEach(slice -> {
            long lo = (long) expEnd * slice / slices;
            long hi = (long) expEnd * (slice + 1) / slices + (slice == slices - 1 ? 1 : 0);
            long bad = 0;
            long worst = 0;
            long nearMidpoint = 0;
            for (long bits = lo; bits < hi; bits++) {
                float x = -Float.intBitsToFloat((int) bits);
                double y = x * SoftmaxMath.LN2;
                long approx = Double.doubleToRawLongBits(SoftmaxMath.exp(y));
                worst = Math.max(worst, Math.abs(approx - Double.doubleToRawLongBits(Math.exp(y))));
                if (Math.abs((approx & 0x1fffffffL) - 0x10000000L) <= SoftmaxMath.MIDPOINT_GUARD) {
                    nearMidpoint++;
                }
                if (Float.floatToRawIntBits(SoftmaxMath.exp2(x))
                        != Float.floatToRawIntBits((float) Math.exp(x * SoftmaxMath.LN2))) {
                    bad++;
                }
            }
            expMismatches.addAndGet(bad);
            maxUlps.accumulateAndGet(worst, Math::max);
            guarded.addAndGet(nearMidpoint);
        });
        System.out.printf(Locale.ROOT, "exp2: %d floats in [%s, 0] checked, %d mismatches, %.1f s; the double"
                        + " approximation is at most %d ulps from Math.exp; %d arguments were left to Math.exp%n",
                (long) expEnd + 1, SoftmaxMath.FAST_MIN, expMismatches.get(), (System.nanoTime() - start) / 1e9,
                maxUlps.get(), guarded.get());

        int oneBits = Float.floatToRawIntBits(1f);
        long roundMismatches = IntStream.rangeClosed(0, oneBits).parallel()
                .filter(bits -> {
                    float p = Float.intBitsToFloat(bits);
                    return Float.floatToRawIntBits(SoftmaxMath.roundFp16(p))
                            != Float.floatToRawIntBits(dev.sagestudio.attention.tensor.Fp16.round(p));
                })
                .count();
        System.out.printf(Locale.ROOT, "roundFp16: %d floats in [0, 1] checked, %d mismatches%n",
                (long) oneBits + 1, roundMismatches);
        if (expMismatches.get() != 0 || roundMismatches != 0) {
            System.exit(1);
        }
    }
}
