package dev.sagestudio.attention.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.catalog.BackendCatalog;
import dev.sagestudio.attention.cpu.InputDistribution;
import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.attention.metrics.AccuracyMetrics;
import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.attention.tensor.HostTensor;
import dev.sagestudio.attention.tensor.Layout;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * On a Hopper GPU (compute capability 9.0, e.g. the H100), {@code sage-int8-fp16} and
 * {@code sage-int8-fp8} must run their wgmma kernels {@code sage_int8_*_sm90_d*}: the backend names
 * them, and the mma.sync kernel of the same variant, launched on the same prepared inputs, differs
 * only in rounding while both meet the accuracy limits; the grid of a wgmma kernel changes which
 * CTA computes a tile, never the result. Skipped, with the reason, on other GPUs.
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

    @Test
    void theSageVariantsNameTheirWgmmaKernelsOnHopper() {
        GpuTestSupport.assumeHopper(gpu);
        for (String pv : new String[] {"fp16", "fp8"}) {
            GpuAttentionBackend sage = BackendCatalog.standard().require("sage-int8-" + pv).createOn(gpu);
            for (int d : GpuAttentionBackend.HEAD_DIMS) {
                assertEquals("sage_int8_" + pv + "_sm90_d" + d + ", fed by the copy engine (TMA)",
                        sage.attentionKernel(d));
                assertTrue(gpu.context().kernels().hasKernel("sage_int8_" + pv + "_sm90_d" + d));
            }
        }
    }

    /** Accuracy limits vs float64 on biased-K inputs (issue #16 for FP8 P·V), per variant. */
    private static final Map<String, double[]> LIMITS = Map.of("fp16", new double[] {0.9999, 0.03},
            "fp8", new double[] {0.9995, 0.04});

    @Test
    void theWgmmaKernelsRunAndDifferFromTheMmaSyncKernelsOnlyInRounding() {
        GpuTestSupport.assumeHopper(gpu);
        for (String pv : new String[] {"fp16", "fp8"}) {
            GpuAttentionBackend sage = BackendCatalog.standard().require("sage-int8-" + pv).createOn(gpu);
            for (int d : GpuAttentionBackend.HEAD_DIMS) {
                for (boolean causal : new boolean[] {false, true}) {
                    compareKernels(sage, pv, d, causal);
                }
            }
        }
    }

    private static void compareKernels(GpuAttentionBackend sage, String pv, int d, boolean causal) {
        long seed = System.nanoTime();
        // The reference works on the HND request (its output is in the request's layout); the kernels
        // run on the same values stored NHD, and their outputs are read back as HND.
        AttentionRequest hnd = GpuTestInputs.request(seed, InputDistribution.BIASED_K, DType.FP16, Layout.HND, 2, 4, 2,
                700, 777, d, causal);
        double[] exact = REFERENCE.computeExact(hnd);
        AttentionRequest request = new AttentionRequest(hnd.q().toLayout(Layout.NHD), hnd.k().toLayout(Layout.NHD),
                hnd.v().toLayout(Layout.NHD), causal, hnd.softmaxScale());
        String sm90Entry = "sage_int8_" + pv + "_sm90_d" + d;
        int sms = sage.context().device().multiprocessors();
        float[] wgmma = sage.compute(request).toLayout(Layout.HND).toArray();
        float[] wgmmaAgain = run(sage, request, sm90Entry, sms);
        // The wgmma kernel walks its tiles with any grid: one CTA per tile (48 tiles), or 5 CTAs walking
        // 9-10 tiles each (causal: tiles of 1 to 6 key blocks through one K/V ring) give the same bits.
        float[] perTile = run(sage, request, sm90Entry, Integer.MAX_VALUE);
        float[] fiveCtas = run(sage, request, sm90Entry, 5);
        float[] mmaSync = run(sage, request, "sage_int8_" + pv + "_d" + d, sms);
        AccuracyMetrics sm90 = AccuracyMetrics.compare(exact, wgmma);
        AccuracyMetrics sm80 = AccuracyMetrics.compare(exact, mmaSync);
        String where = pv + " D=" + d + (causal ? " causal" : "") + " (seed " + seed + "): sm90 " + sm90 + "; sm80 "
                + sm80;
        System.out.println(where);
        assertEquals(0, GpuTestInputs.nonFinite(wgmma), where);
        assertTrue(Arrays.equals(wgmma, wgmmaAgain), "repeat not bit-identical: " + where);
        assertTrue(Arrays.equals(wgmma, perTile), "one CTA per tile differs from the persistent grid: " + where);
        assertTrue(Arrays.equals(wgmma, fiveCtas), "5 CTAs differ from the persistent grid: " + where);
        double[] limits = LIMITS.get(pv);
        assertTrue(sm90.cosineSimilarity() >= limits[0] && sm90.relativeL1() <= limits[1], where);
        assertTrue(sm90.relativeL1() <= 1.2 * sm80.relativeL1() + 1e-3, "sm90 worse than sm80: " + where);
        // Same numerics, different kernels: the 128-key blocks of the wgmma kernel round P against
        // other running maxima than the 64-key blocks of the mma.sync one, so some outputs differ.
        assertFalse(Arrays.equals(wgmma, mmaSync), "the same output twice: did the sm90 kernel run? " + where);
    }

    /** The backend's preprocessing, then attention kernel {@code entry} with at most {@code maxCtas} CTAs. */
    static float[] run(GpuAttentionBackend sage, AttentionRequest r, String entry, int maxCtas) {
        GpuContext context = sage.context();
        HostTensor q = r.q();
        try (CudaStream stream = context.createStream();
             Workspace workspace = sage.newWorkspace();
             DeviceTensor dq = DeviceTensor.upload(context, q);
             DeviceTensor dk = DeviceTensor.upload(context, r.k());
             DeviceTensor dv = DeviceTensor.upload(context, r.v());
             DeviceTensor dout = DeviceTensor.allocate(context, q.dtype(), q.layout(), q.batch(), q.heads(),
                     q.tokens(), q.headDim())) {
            dout.poisonWithNaN(stream);
            GpuAttentionBackend.Prepared prepared = sage.prepare(dq, dk, dv, r.softmaxScale(), workspace, stream);
            sage.launchAttention(prepared, dout, r.causal(), stream, entry, maxCtas);
            stream.synchronize();
            return dout.download().toLayout(Layout.HND).toArray();
        }
    }
}
