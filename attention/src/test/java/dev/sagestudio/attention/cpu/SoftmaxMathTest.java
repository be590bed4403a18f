package dev.sagestudio.attention.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sagestudio.attention.tensor.Fp16;
import org.junit.jupiter.api.Test;

/**
 * The emulator's fast scalar helpers return exactly what their definitions return, on a dense sample
 * of inputs (every float is checked by {@link SoftmaxMathExhaustiveCheck}, run by hand).
 */
class SoftmaxMathTest {

    private static void assertSameBits(float expected, float actual, String function, float argument) {
        if (Float.floatToRawIntBits(expected) != Float.floatToRawIntBits(actual)) { // no message string per call
            assertEquals(expected, actual, function + "(" + argument + ")");
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual),
                    function + "(" + argument + "): bits");
        }
    }

    private static float exp2Definition(float x) {
        return (float) Math.exp(x * SoftmaxMath.LN2);
    }

    @Test
    void exp2EqualsTheDoubleExpRoundedToFloatOnEvery61stFloatOfItsFastRange() {
        int end = Float.floatToRawIntBits(-SoftmaxMath.FAST_MIN);
        for (int bits = 0; bits <= end; bits += 61) {
            float x = -Float.intBitsToFloat(bits);
            assertSameBits(exp2Definition(x), SoftmaxMath.exp2(x), "exp2", x);
        }
    }

    @Test
    void exp2OutsideItsFastRangeIsTheDefinitionToo() {
        float[] xs = {0f, -0f, Math.nextDown(SoftmaxMath.FAST_MIN), -126f, -149f, -150f, -1e30f,
                Float.NEGATIVE_INFINITY, Float.NaN, 1e-30f, 0.5f, 3f, 200f, Float.POSITIVE_INFINITY};
        for (float x : xs) {
            assertSameBits(exp2Definition(x), SoftmaxMath.exp2(x), "exp2", x);
        }
    }

    @Test
    void roundFp16EqualsFp16RoundOnEvery31stFloatBitPattern() {
        for (long bits = 0; bits <= 0xffffffffL; bits += 31) {
            float value = Float.intBitsToFloat((int) bits);
            assertSameBits(Fp16.round(value), SoftmaxMath.roundFp16(value), "roundFp16", value);
        }
    }

    @Test
    void roundFp16KeepsTiesToEvenAtEveryRangeBoundary() {
        float[] values = {1f + 0x1p-11f, 1f + 3 * 0x1p-11f, 0x1p-14f, Math.nextDown(0x1p-14f), 0x1.8p-25f,
                0x1p-25f, -0x1p-25f, 0x1p-24f + 0x1p-25f, 65504f, 65519f, 65520f, 0x1p15f, Math.nextDown(0x1p15f),
                -1e-10f, 0f, -0f, Float.MIN_VALUE, Float.NaN, Float.NEGATIVE_INFINITY};
        for (float value : values) {
            assertSameBits(Fp16.round(value), SoftmaxMath.roundFp16(value), "roundFp16", value);
        }
    }
}
