package dev.sagestudio.attention.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.UnsupportedAttentionException;
import dev.sagestudio.attention.metrics.AccuracyMetrics;
import dev.sagestudio.attention.quant.Granularity;
import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.attention.tensor.HostTensor;
import dev.sagestudio.attention.tensor.Layout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The emulator against the float64 reference on fresh random inputs each run (the seed is in every
 * failure message), plus the shapes and edge cases a GPU kernel must also get right.
 */
class SageAttentionEmulatorTest {
    private static final ReferenceAttention REFERENCE = new ReferenceAttention();

    private static long freshSeed() {
        return new SplittableRandom().nextLong();
    }

    private static AccuracyMetrics accuracy(SageConfig config, AttentionRequest request) {
        double[] exact = REFERENCE.computeExact(request);
        HostTensor out = new SageAttentionEmulator(config).compute(request);
        return AccuracyMetrics.compare(exact, out.toArray());
    }

    /**
     * Stated bounds on standard-normal inputs (1024 tokens, D = 128, fp16): INT8 QK with FP16 PV
     * keeps cosine ≥ 0.9997 and relative L1 ≤ 0.02; FP8 PV (3 mantissa bits for P and V)
     * ≥ 0.998 and ≤ 0.05; INT8 PV ≥ 0.998 and ≤ 0.05. Typical values are 0.99991/0.013,
     * 0.99927/0.038 and 0.99967/0.025.
     */
    static Stream<Object[]> boundsOnNormalInputs() {
        List<Object[]> cases = new ArrayList<>();
        for (Granularity g : Granularity.values()) {
            cases.add(new Object[] {new SageConfig(true, g, PvMode.FP16), 0.9997, 0.02});
        }
        cases.add(new Object[] {new SageConfig(true, Granularity.PER_BLOCK, PvMode.FP16_ACCUM_FP16), 0.9997, 0.02});
        cases.add(new Object[] {new SageConfig(false, Granularity.PER_BLOCK, PvMode.FP16), 0.9997, 0.02});
        cases.add(new Object[] {new SageConfig(true, Granularity.PER_BLOCK, PvMode.FP8), 0.998, 0.05});
        cases.add(new Object[] {new SageConfig(true, Granularity.PER_THREAD, PvMode.FP8), 0.998, 0.05});
        cases.add(new Object[] {new SageConfig(true, Granularity.PER_BLOCK, PvMode.INT8), 0.998, 0.05});
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("boundsOnNormalInputs")
    void staysWithinStatedBoundsOfTheReferenceOnNormalInputs(SageConfig config, double minCosine, double maxRelL1) {
        long seed = freshSeed();
        AttentionRequest request = AttentionInputs.generate(InputDistribution.NORMAL, 1, 1, 1, 1024, 1024, 128,
                DType.FP16, Layout.HND, seed).request(false);
        AccuracyMetrics m = accuracy(config, request);
        assertTrue(m.cosineSimilarity() >= minCosine && m.relativeL1() <= maxRelL1,
                config.backendName() + " seed " + seed + ": " + m);
    }

    @Test
    void kSmoothingRescuesBiasedKeys() {
        // The SageAttention finding: with a large per-channel K bias, INT8 QK without smoothing loses
        // much accuracy; with smoothing, cosine stays ≥ 0.9999.
        long seed = freshSeed();
        AttentionRequest request = AttentionInputs.generate(InputDistribution.BIASED_K, 1, 1, 1, 1024, 1024, 128,
                DType.FP16, Layout.HND, seed).request(false);
        AccuracyMetrics smoothed = accuracy(SageConfig.defaults(), request);
        AccuracyMetrics plain = accuracy(new SageConfig(false, Granularity.PER_BLOCK, PvMode.FP16), request);
        String context = "seed " + seed + ": smoothed " + smoothed + ", plain " + plain;
        assertTrue(smoothed.cosineSimilarity() >= 0.9999 && smoothed.relativeL1() <= 0.02, context);
        assertTrue(plain.cosineSimilarity() < 0.999, context);
        assertTrue(plain.relativeL1() > 4 * smoothed.relativeL1(), context);
    }

    /**
     * 128-key softmax steps (the Hopper wgmma kernels) change only where P is rounded: with at most 64
     * keys there is one step either way (bit-identical output), with more they stay as accurate as
     * 64-key steps, and any other step size is refused.
     */
    @ParameterizedTest
    @EnumSource(value = PvMode.class, names = {"FP16", "FP8"})
    void softmaxStepsOf128KeysRoundPDifferentlyButAsAccurately(PvMode mode) {
        long seed = freshSeed();
        SageConfig config = new SageConfig(true, Granularity.PER_WARP, mode);
        SageAttentionEmulator wgmma = new SageAttentionEmulator(config, SageAttentionEmulator.WGMMA_SOFTMAX_BLOCK);
        SageAttentionEmulator mmaSync = new SageAttentionEmulator(config);
        AttentionRequest shortKeys = AttentionInputs.generate(InputDistribution.BIASED_K, 1, 2, 2, 100, 64, 64,
                DType.FP16, Layout.HND, seed).request(false);
        assertArrayEquals(mmaSync.compute(shortKeys).toArray(), wgmma.compute(shortKeys).toArray(), "seed " + seed);

        AttentionRequest request = AttentionInputs.generate(InputDistribution.BIASED_K, 1, 2, 2, 300, 1000, 128,
                DType.FP16, Layout.HND, seed).request(true);
        double[] exact = REFERENCE.computeExact(request);
        AccuracyMetrics steps128 = AccuracyMetrics.compare(exact, wgmma.compute(request).toArray());
        AccuracyMetrics steps64 = AccuracyMetrics.compare(exact, mmaSync.compute(request).toArray());
        String context = mode + " seed " + seed + ": 128-key steps " + steps128 + ", 64-key steps " + steps64;
        assertTrue(steps128.relativeL1() <= 1.2 * steps64.relativeL1() + 1e-4, context);
        assertTrue(steps128.cosineSimilarity() >= steps64.cosineSimilarity() - 1e-4, context);
        assertThrows(IllegalArgumentException.class, () -> new SageAttentionEmulator(config, 32));
    }

    @Test
    void int8PvIsClearlyWorseThanFp16AndFp8OnRealisticInputs() {
        long seed = freshSeed();
        AttentionRequest request = AttentionInputs.generate(InputDistribution.BIASED_K, 1, 1, 1, 1024, 1024, 128,
                DType.FP16, Layout.HND, seed).request(false);
        AccuracyMetrics fp16 = accuracy(SageConfig.defaults(), request);
        AccuracyMetrics fp8 = accuracy(new SageConfig(true, Granularity.PER_BLOCK, PvMode.FP8), request);
        AccuracyMetrics int8 = accuracy(new SageConfig(true, Granularity.PER_BLOCK, PvMode.INT8), request);
        String context = "seed " + seed + ": fp16 " + fp16 + ", fp8 " + fp8 + ", int8 " + int8;
        assertTrue(int8.relativeL1() > 2 * fp8.relativeL1(), context);
        assertTrue(int8.relativeL1() > 4 * fp16.relativeL1(), context);
    }

    @ParameterizedTest
    @EnumSource(PvMode.class)
    void causalQLenNotKvLenGqaTailsAndNhdStayCloseToTheReference(PvMode mode) {
        long seed = freshSeed();
        SageConfig config = new SageConfig(true, Granularity.PER_WARP, mode);
        // 200 and 333 are not multiples of 32, 64 or 128; 4 query heads share 2 kv heads.
        int[][] lengths = {{200, 333}, {333, 200}, {200, 200}};
        for (int[] len : lengths) {
            for (boolean causal : new boolean[] {false, true}) {
                AttentionRequest request = AttentionInputs.generate(InputDistribution.NORMAL, 2, 4, 2, len[0], len[1],
                        64, DType.BF16, Layout.NHD, seed).request(causal);
                AccuracyMetrics m = accuracy(config, request);
                String context = config.backendName() + " seed " + seed + " q=" + len[0] + " kv=" + len[1]
                        + " causal=" + causal + ": " + m;
                assertTrue(m.cosineSimilarity() >= 0.995 && m.relativeL1() <= 0.08, context);
            }
        }
    }

    @Test
    void causalRowsIgnoreLaterValues() {
        // With FP16 PV, V is rounded element-wise, so changing V of later tokens must leave every
        // earlier row bit-identical (K is kept: its block scales and mean involve all tokens).
        long seed = freshSeed();
        AttentionInputs inputs = AttentionInputs.generate(InputDistribution.NORMAL, 1, 2, 2, 150, 150, 64, DType.FP16,
                Layout.HND, seed);
        float[] v = inputs.v().toArray();
        int cut = 100;
        for (int h = 0; h < 2; h++) {
            for (int n = cut; n < 150; n++) {
                for (int d = 0; d < 64; d++) {
                    v[(h * 150 + n) * 64 + d] = 1000f;
                }
            }
        }
        HostTensor changedV = HostTensor.of(DType.FP16, Layout.HND, 1, 2, 150, 64, v);
        SageAttentionEmulator emulator = new SageAttentionEmulator();
        HostTensor before = emulator.compute(inputs.request(true));
        HostTensor after = emulator.compute(new AttentionInputs(inputs.q(), inputs.k(), changedV).request(true));
        for (int h = 0; h < 2; h++) {
            for (int n = 0; n < 150; n++) {
                boolean same = true;
                for (int d = 0; d < 64; d++) {
                    same &= before.get(0, h, n, d) == after.get(0, h, n, d);
                }
                assertEquals(n < cut, same, "seed " + seed + " head " + h + " row " + n);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(PvMode.class)
    void aSingleTokenAttendsOnlyToItself(PvMode mode) {
        // N = 1: softmax of one score is 1, so O = V up to V's quantization.
        float[] q = new float[64];
        float[] k = new float[64];
        float[] v = new float[64];
        SplittableRandom random = new SplittableRandom(5);
        for (int d = 0; d < 64; d++) {
            q[d] = (float) random.nextGaussian();
            k[d] = (float) random.nextGaussian();
            v[d] = (float) random.nextGaussian();
        }
        AttentionRequest request = AttentionRequest.of(HostTensor.of(DType.FP32, Layout.HND, 1, 1, 1, 64, q),
                HostTensor.of(DType.FP32, Layout.HND, 1, 1, 1, 64, k), HostTensor.of(DType.FP32, Layout.HND, 1, 1, 1, 64, v),
                true);
        float[] out = new SageAttentionEmulator(new SageConfig(true, Granularity.PER_THREAD, mode)).compute(request).toArray();
        // INT8 V: half a step of the channel scale (|v|/127/2 ≤ |v|/254); FP8: 2^-4 relative; FP16: 2^-11.
        double relative = switch (mode) {
            case FP16, FP16_ACCUM_FP16 -> 0x1p-11;
            case FP8 -> 0x1p-4;
            case INT8 -> 1.0 / 254;
        };
        for (int d = 0; d < 64; d++) {
            assertEquals(v[d], out[d], Math.abs(v[d]) * relative * 1.01 + 1e-6, mode + " channel " + d);
        }
    }

    @ParameterizedTest
    @EnumSource(PvMode.class)
    void zeroAndConstantBlocksNeverGiveNanOrInf(PvMode mode) {
        int n = 130;
        int dim = 128;
        float[] zeros = new float[n * dim];
        float[] constant = new float[n * dim];
        java.util.Arrays.fill(constant, 3f);
        SageAttentionEmulator emulator = new SageAttentionEmulator(new SageConfig(true, Granularity.PER_BLOCK, mode));
        float[][][] cases = {
            {zeros, zeros, zeros},
            {zeros, constant, constant},
            {constant, constant, constant},
            {constant, zeros, constant},
        };
        for (float[][] c : cases) {
            for (boolean causal : new boolean[] {false, true}) {
                AttentionRequest request = AttentionRequest.of(HostTensor.of(DType.FP16, Layout.HND, 1, 1, n, dim, c[0]),
                        HostTensor.of(DType.FP16, Layout.HND, 1, 1, n, dim, c[1]),
                        HostTensor.of(DType.FP16, Layout.HND, 1, 1, n, dim, c[2]), causal);
                float[] out = emulator.compute(request).toArray();
                float expected = c[2][0]; // uniform or not, the average of a constant V is that constant
                for (float o : out) {
                    assertTrue(Float.isFinite(o), mode + " produced " + o);
                    assertEquals(expected, o, Math.abs(expected) * 0x1p-4 + 1e-6, mode.toString());
                }
            }
        }
    }

    @Test
    void inputDtypesAndLayoutsAreAllAccepted() {
        long seed = freshSeed();
        for (DType dtype : DType.values()) {
            AttentionInputs hnd = AttentionInputs.generate(InputDistribution.NORMAL, 1, 2, 1, 70, 90, 128, dtype,
                    Layout.HND, seed);
            AttentionInputs nhd = new AttentionInputs(hnd.q().toLayout(Layout.NHD), hnd.k().toLayout(Layout.NHD),
                    hnd.v().toLayout(Layout.NHD));
            SageAttentionEmulator emulator = new SageAttentionEmulator();
            HostTensor a = emulator.compute(hnd.request(false));
            HostTensor b = emulator.compute(nhd.request(false));
            assertEquals(dtype, a.dtype());
            assertEquals(Layout.NHD, b.layout());
            assertArrayEquals(a.toArray(), b.toLayout(Layout.HND).toArray(), "seed " + seed + " " + dtype);
            AccuracyMetrics m = AccuracyMetrics.compare(REFERENCE.computeExact(hnd.request(false)), a.toArray());
            assertTrue(m.cosineSimilarity() > 0.999, "seed " + seed + " " + dtype + ": " + m);
        }
    }

    @Test
    void unsupportedHeadDimGivesAClearErrorNamingTheBackend() {
        AttentionRequest request = AttentionInputs.generate(InputDistribution.NORMAL, 1, 1, 1, 8, 8, 80, DType.FP16,
                Layout.HND, 1).request(false);
        SageAttentionEmulator emulator = new SageAttentionEmulator(new SageConfig(true, Granularity.PER_WARP, PvMode.FP8));
        UnsupportedAttentionException e = assertThrows(UnsupportedAttentionException.class, () -> emulator.compute(request));
        assertEquals("cpu-sage-int8-fp8-per-warp", e.backend());
        assertTrue(e.getMessage().contains("cpu-sage-int8-fp8-per-warp"), e.getMessage());
        assertTrue(e.getMessage().contains("head dim 80"), e.getMessage());
        assertTrue(e.getMessage().contains("64 and 128"), e.getMessage());
    }

    @Test
    void everyVariantNameParsesBackToItsConfig() {
        for (boolean smooth : new boolean[] {true, false}) {
            for (Granularity g : Granularity.values()) {
                for (PvMode mode : PvMode.values()) {
                    SageConfig config = new SageConfig(smooth, g, mode);
                    assertEquals(config, SageConfig.parse(config.backendName()));
                    assertEquals(config.backendName(), new SageAttentionEmulator(config).name());
                }
            }
        }
        assertEquals("cpu-sage-int8-fp16", SageConfig.defaults().backendName());
        assertThrows(IllegalArgumentException.class, () -> SageConfig.parse("cpu-sage-int8-fp4"));
        assertThrows(IllegalArgumentException.class, () -> SageConfig.parse("sage-int8-fp16"));
    }
}
