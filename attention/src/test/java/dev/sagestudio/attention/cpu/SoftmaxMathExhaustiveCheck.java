package dev.sagestudio.attention.cpu;

import dev.sagestudio.attention.quant.Int8Quantizer;
import dev.sagestudio.attention.tensor.Fp16;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;

/**
 * Compares {@link SoftmaxMath#exp2} with {@code (float) Math.exp(x · ln 2)} for EVERY float x in
 * [{@value SoftmaxMath#FAST_MIN}, 0], {@link SoftmaxMath#roundFp16} with {@code Fp16.round} for every
 * float, and the branch-free {@link Int8Quantizer#roundHalfAwayFromZero} with its earlier definition
 * for every float; prints the mismatch counts (must be 0). Too slow for the unit suite (billions of
 * calls); run by hand after changing any of them:
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

        long roundMismatches = everyFloat(bits -> {
            float value = Float.intBitsToFloat(bits);
            return Float.floatToRawIntBits(SoftmaxMath.roundFp16(value)) != Float.floatToRawIntBits(Fp16.round(value));
        });
        System.out.printf(Locale.ROOT, "roundFp16: all 2^32 floats checked, %d mismatches%n", roundMismatches);
        long quantizeMismatches = everyFloat(bits -> {
            float x = Float.intBitsToFloat(bits);
            // The definition before the branch-free version: floor(x + 0.5) or -floor(0.5 - x), in double.
            int expected = x >= 0 ? (int) Math.floor((double) x + 0.5) : -(int) Math.floor(0.5 - (double) x);
            return Int8Quantizer.roundHalfAwayFromZero(x) != expected;
        });
        System.out.printf(Locale.ROOT, "roundHalfAwayFromZero: all 2^32 floats checked, %d mismatches%n",
                quantizeMismatches);
        if (expMismatches.get() != 0 || roundMismatches != 0 || quantizeMismatches != 0) {
            System.exit(1);
        }
    }

    /** How many of the 2^32 float bit patterns {@code mismatch} holds for. */
    private static long everyFloat(IntPredicate mismatch) {
        return IntStream.range(0, 1 << 16).parallel().mapToLong(high -> {
            long count = 0;
            for (int low = 0; low < 1 << 16; low++) {
                if (mismatch.test(high << 16 | low)) {
                    count++;
                }
            }
            return count;
        }).sum();
    }
}
