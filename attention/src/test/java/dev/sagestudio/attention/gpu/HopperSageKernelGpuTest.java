package dev.sagestudio.attention.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.cpu.InputDistribution;
import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.attention.metrics.AccuracyMetrics;
import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.attention.tensor.Layout;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * On a Hopper GPU (compute capability 9.0, e.g. the H100), {@code sage-int8-fp16} must run the wgmma
 * kernel {@code sage_int8_fp16_sm90_d*}: the backend names it, and switching it off with
 * {@link GpuAttentionBackend#SM90_PROPERTY} runs a different kernel (the mma.sync one) whose output
 * differs in rounding while both meet the accuracy limits; its grid ({@link
 * GpuAttentionBackend#SM90_GRID_PROPERTY}) changes which CTA computes a tile, never the result.
 * Skipped, with the reason, on other GPUs.
 */
@Tag("gpu")
class HopperSageKernelGpuTest {
    private static GpuBackends gpu;
    private static final ReferenceAttention REFERENCE = new ReferenceAttention();

    @BeforeAll
    static void open() {
        gpu = GpuTestSupport.backendsOrSkip();
    }

    @AfterAll
    static void close() {
        if (gpu != null) {
            gpu.close();
        }
    }

    private static void assumeHopper() {
        DeviceInfo device = gpu.context().device();
        assumeTrue(device.smArchitecture() == 90, "not a compute capability 9.0 GPU: " + device.describe());
    }

    @Test
    void sageInt8Fp16NamesTheWgmmaKernelOnHopper() {
        assumeHopper();
        GpuAttentionBackend sage = gpu.backend(GpuAttentionBackend.Variant.SAGE_INT8_FP16);
        for (int d : GpuAttentionBackend.HEAD_DIMS) {
            assertEquals("sage_int8_fp16_sm90_d" + d, sage.attentionKernel(d));
            assertTrue(gpu.context().kernels().hasKernel("sage_int8_fp16_sm90_d" + d));
        }
    }

    @Test
    void theWgmmaKernelRunsAndDiffersFromTheMmaSyncKernelOnlyInRounding() {
        assumeHopper();
        GpuAttentionBackend sage = gpu.backend(GpuAttentionBackend.Variant.SAGE_INT8_FP16);
        for (int d : GpuAttentionBackend.HEAD_DIMS) {
            for (boolean causal : new boolean[] {false, true}) {
                long seed = System.nanoTime();
                // The reference works on the HND request (its output is in the request's layout); the kernels
                // run on the same values stored NHD, and their outputs are read back as HND.
                AttentionRequest hnd = GpuTestInputs.request(seed, InputDistribution.BIASED_K, DType.FP16,
                        Layout.HND, 2, 4, 2, 700, 777, d, causal);
                double[] exact = REFERENCE.computeExact(hnd);
                AttentionRequest request = new AttentionRequest(hnd.q().toLayout(Layout.NHD),
                        hnd.k().toLayout(Layout.NHD), hnd.v().toLayout(Layout.NHD), causal, hnd.softmaxScale());
                float[] wgmma = sage.compute(request).toLayout(Layout.HND).toArray();
                float[] wgmmaAgain = sage.compute(request).toLayout(Layout.HND).toArray();
                // The wgmma kernel walks its tiles with any grid: one CTA per tile, or 5 CTAs walking 9-10
                // tiles each (causal: tiles of 1 to 6 key blocks through one K/V ring) give the same bits.
                float[] perTile = withProperty(GpuAttentionBackend.SM90_GRID_PROPERTY, "tiles",
                        () -> sage.compute(request).toLayout(Layout.HND).toArray());
                float[] fiveCtas = withProperty(GpuAttentionBackend.SM90_GRID_PROPERTY, "5",
                        () -> sage.compute(request).toLayout(Layout.HND).toArray());
                float[] mmaSync = withProperty(GpuAttentionBackend.SM90_PROPERTY, "off", () -> {
                    assertEquals("sage_int8_fp16_d" + d, sage.attentionKernel(d));
                    return sage.compute(request).toLayout(Layout.HND).toArray();
                });
                AccuracyMetrics sm90 = AccuracyMetrics.compare(exact, wgmma);
                AccuracyMetrics sm80 = AccuracyMetrics.compare(exact, mmaSync);
                String where = "D=" + d + (causal ? " causal" : "") + " (seed " + seed + "): sm90 " + sm90 + "; sm80 "
                        + sm80;
                System.out.println(where);
                assertEquals(0, GpuTestInputs.nonFinite(wgmma), where);
                assertTrue(Arrays.equals(wgmma, wgmmaAgain), "repeat not bit-identical: " + where);
                assertTrue(Arrays.equals(wgmma, perTile), "one CTA per tile differs from the persistent grid: " + where);
                assertTrue(Arrays.equals(wgmma, fiveCtas), "5 CTAs differ from the persistent grid: " + where);
                assertTrue(sm90.cosineSimilarity() >= 0.9999 && sm90.relativeL1() <= 0.03, where);
                assertTrue(sm90.relativeL1() <= 1.2 * sm80.relativeL1() + 1e-3, "sm90 worse than sm80: " + where);
                // Same numerics, different kernels: the 128-key blocks of the wgmma kernel round P against
                // other running maxima than the 64-key blocks of the mma.sync one, so some outputs differ.
                assertFalse(Arrays.equals(wgmma, mmaSync), "the same output twice: did the sm90 kernel run? " + where);
            }
        }
    }

    private static float[] withProperty(String name, String value, java.util.function.Supplier<float[]> run) {
        String before = System.getProperty(name);
        System.setProperty(name, value);
        try {
            return run.get();
        } finally {
            if (before == null) {
                System.clearProperty(name);
            } else {
                System.setProperty(name, before);
            }
        }
    }
}
