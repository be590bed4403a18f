package dev.sagestudio.attention.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.catalog.BackendCatalog;
import dev.sagestudio.attention.cpu.InputDistribution;
import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.attention.gpu.GpuAttentionBackend.Variant;
import dev.sagestudio.attention.metrics.AccuracyMetrics;
import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.attention.tensor.Layout;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * On a Hopper GPU (compute capability 9.0), {@code flash-fp16} runs its wgmma kernels
 * {@code flash_fwd_{f16,bf16}_sm90_d*}: the backend names them; on the same inputs (fp16 and bf16, GQA,
 * q_len ≠ kv_len with key and query tails, causal and not, biased-K and heavy-tailed values) they meet
 * the float64 limits of {@link GpuKernelsGpuTest} and are no less accurate than the mma.sync kernels
 * {@code flash_fwd_*_d*}, which they differ from only in rounding; the grid changes which CTA computes
 * a tile, never the result. (Every other shape of {@link GpuKernelsGpuTest} runs them too, through the
 * backend.) Skipped, with the reason, on other GPUs.
 */
@Tag("gpu")
class HopperFlashKernelGpuTest {
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

    @Test
    void flashNamesItsWgmmaKernelsOnHopper() {
        GpuTestSupport.assumeHopper(gpu);
        GpuAttentionBackend flash = BackendCatalog.standard().require("flash-fp16").createOn(gpu);
        for (int d : GpuAttentionBackend.HEAD_DIMS) {
            assertEquals("flash_fwd_f16_sm90_d" + d + " (flash_fwd_bf16_sm90_d" + d + " for bf16 inputs), fed by the"
                    + " copy engine (TMA)", flash.attentionKernel(d));
            for (String dt : new String[] {"f16", "bf16"}) {
                assertTrue(gpu.context().kernels().hasKernel("flash_fwd_" + dt + "_sm90_d" + d));
            }
        }
    }

    @Test
    void theWgmmaKernelsMeetTheLimitsAndDifferFromTheMmaSyncKernelsOnlyInRounding() {
        GpuTestSupport.assumeHopper(gpu);
        GpuAttentionBackend flash = gpu.backend(Variant.FLASH_FP16);
        for (DType dtype : new DType[] {DType.FP16, DType.BF16}) {
            for (int d : GpuAttentionBackend.HEAD_DIMS) {
                for (boolean causal : new boolean[] {false, true}) {
                    for (InputDistribution values : new InputDistribution[] {InputDistribution.BIASED_K,
                            InputDistribution.OUTLIERS}) {
                        compareKernels(flash, dtype, d, causal, values);
                    }
                }
            }
        }
    }

    private static void compareKernels(GpuAttentionBackend flash, DType dtype, int d, boolean causal,
                                       InputDistribution values) {
        long seed = System.nanoTime();
        // 2 batches, 4 query heads on 2 kv heads, 700 queries (6 tiles, the last one of 60 rows) over 777 keys
        // (7 key blocks, the last one of 9 keys); the kernels read it NHD, the reference HND.
        AttentionRequest hnd = GpuTestInputs.request(seed, values, dtype, Layout.HND, 2, 4, 2, 700, 777, d, causal);
        double[] exact = REFERENCE.computeExact(hnd);
        AttentionRequest request = new AttentionRequest(hnd.q().toLayout(Layout.NHD), hnd.k().toLayout(Layout.NHD),
                hnd.v().toLayout(Layout.NHD), causal, hnd.softmaxScale());
        String dt = dtype == DType.BF16 ? "bf16" : "f16";
        String sm90Entry = "flash_fwd_" + dt + "_sm90_d" + d;
        int sms = flash.context().device().multiprocessors();
        float[] wgmma = flash.compute(request).toLayout(Layout.HND).toArray(); // output poisoned with NaN first
        float[] wgmmaAgain = HopperSageKernelGpuTest.run(flash, request, sm90Entry, sms);
        // 48 tiles: one CTA each, or 5 CTAs walking 9-10 tiles through one K ring and one V ring
        float[] perTile = HopperSageKernelGpuTest.run(flash, request, sm90Entry, Integer.MAX_VALUE);
        float[] fiveCtas = HopperSageKernelGpuTest.run(flash, request, sm90Entry, 5);
        float[] mmaSync = HopperSageKernelGpuTest.run(flash, request, "flash_fwd_" + dt + "_d" + d, sms);
        AccuracyMetrics sm90 = AccuracyMetrics.compare(exact, wgmma);
        AccuracyMetrics sm80 = AccuracyMetrics.compare(exact, mmaSync);
        String where = dt + " D=" + d + (causal ? " causal " : " ") + values + " (seed " + seed + "): sm90 " + sm90
                + "; sm80 " + sm80;
        System.out.println(where);
        assertEquals(0, GpuTestInputs.nonFinite(wgmma), where);
        assertTrue(Arrays.equals(wgmma, wgmmaAgain), "repeat not bit-identical: " + where);
        assertTrue(Arrays.equals(wgmma, perTile), "one CTA per tile differs from the persistent grid: " + where);
        assertTrue(Arrays.equals(wgmma, fiveCtas), "5 CTAs differ from the persistent grid: " + where);
        if (values == InputDistribution.BIASED_K) {
            GpuKernelsGpuTest.Limits limits = GpuKernelsGpuTest.limits(Variant.FLASH_FP16, dtype);
            assertTrue(sm90.cosineSimilarity() >= limits.minCosine() && sm90.relativeL1() <= limits.maxRelativeL1(),
                    where);
        }
        // Both full precision: the wgmma kernel may round differently, not worse.
        assertTrue(sm90.relativeL1() <= 1.2 * sm80.relativeL1() + 1e-4, "sm90 worse than sm80: " + where);
        assertTrue(sm90.cosineSimilarity() >= sm80.cosineSimilarity() - 1e-5, "sm90 worse than sm80: " + where);
        // 128-key softmax blocks (the mma.sync kernel's are 64) round P against other running maxima.
        assertFalse(Arrays.equals(wgmma, mmaSync), "the same output twice: did the sm90 kernel run? " + where);
    }
}
