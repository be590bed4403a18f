package dev.sagestudio.attention.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.cpu.InputDistribution;
import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.attention.tensor.Layout;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * 10,000 consecutive GPU attention calls leave the device memory where it was: no buffer of ours stays allocated
 * and the free memory that {@code cuMemGetInfo} reports does not shrink. Figures go to stdout for
 * docs/RELIABILITY.md.
 */
@Tag("gpu")
class GpuAttentionSoakGpuTest {

    static final int CALLS = Integer.getInteger("sagestudio.soak.gpuCalls", 10_000);

    @Test
    void tenThousandAttentionCallsKeepDeviceMemoryFlat() {
        try (GpuBackends gpu = GpuTestSupport.backendsOrSkip()) {
            AttentionRequest request = GpuTestInputs.request(11, InputDistribution.BIASED_K, DType.FP16, Layout.HND,
                    1, 4, 4, 256, 256, 64, false);
            var backend = gpu.backend(GpuAttentionBackend.Variant.SAGE_INT8_FP16);
            for (int i = 0; i < 100; i++) {
                backend.compute(request); // warm-up: module load, workspace
            }
            gpu.context().synchronize();
            long liveBefore = gpu.context().liveAllocations();
            long freeBefore = gpu.context().memoryInfo().freeBytes();
            long t0 = System.nanoTime();
            for (int i = 0; i < CALLS; i++) {
                backend.compute(request);
            }
            gpu.context().synchronize();
            double seconds = (System.nanoTime() - t0) / 1e9;
            long liveAfter = gpu.context().liveAllocations();
            long freeAfter = gpu.context().memoryInfo().freeBytes();
            System.out.printf(Locale.ROOT, "gpu soak: %d sage-int8-fp16 calls (B1 H4 N256 D64 fp16) in %.1f s on %s;"
                    + " live allocations %d -> %d, free device memory %.1f -> %.1f MiB%n", CALLS, seconds,
                    gpu.context().device().name(), liveBefore, liveAfter, freeBefore / 1048576.0,
                    freeAfter / 1048576.0);
            assertEquals(liveBefore, liveAfter, "device buffers left allocated");
            assertTrue(freeAfter >= freeBefore - (16L << 20), "free device memory shrank by more than 16 MiB");
        }
    }
}
