package dev.sagestudio.attention.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.gpu.GpuAttentionBackend.Variant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Checks that need no GPU: shape support and error messages. */
class GpuArgumentsTest {
    private static final DeviceInfo H100 = new DeviceInfo(0, "H100", 9, 0, 80L << 30, 132, 13000);
    private static final DeviceInfo A100 = new DeviceInfo(0, "A100", 8, 0, 80L << 30, 108, 12040);
    private static final DeviceInfo L40 = new DeviceInfo(0, "L40", 8, 9, 48L << 30, 142, 12040);

    @Test
    void theSageVariantsRunTheirWgmmaKernelsOnComputeCapability90Only() {
        for (int d : new int[] {64, 128}) {
            assertEquals("sage_int8_fp16_sm90_d" + d + ", fed by the copy engine (TMA)",
                    GpuAttentionBackend.attentionKernel(Variant.SAGE_INT8_FP16, H100, d, true));
            assertEquals("sage_int8_fp8_sm90_d" + d + ", fed by the copy engine (TMA)",
                    GpuAttentionBackend.attentionKernel(Variant.SAGE_INT8_FP8, H100, d, true));
            // a module built without them: the mma.sync kernels
            assertEquals("sage_int8_fp16_d" + d,
                    GpuAttentionBackend.attentionKernel(Variant.SAGE_INT8_FP16, H100, d, false));
            assertEquals("sage_int8_fp8_d" + d,
                    GpuAttentionBackend.attentionKernel(Variant.SAGE_INT8_FP8, H100, d, false));
            // their SASS is sm_90a only: Ampere, Ada and anything newer than Hopper get the sm80 kernels
            for (DeviceInfo other : new DeviceInfo[] {A100, L40,
                    new DeviceInfo(0, "B200", 10, 0, 180L << 30, 148, 13000)}) {
                assertEquals("sage_int8_fp16_d" + d,
                        GpuAttentionBackend.attentionKernel(Variant.SAGE_INT8_FP16, other, d, true));
                assertEquals("sage_int8_fp8_d" + d,
                        GpuAttentionBackend.attentionKernel(Variant.SAGE_INT8_FP8, other, d, true));
            }
            // fp16acc has one kernel
            assertEquals("sage_int8_fp16acc_d" + d,
                    GpuAttentionBackend.attentionKernel(Variant.SAGE_INT8_FP16ACC, H100, d, true));
        }
    }

    @Test
    void flashRunsItsWgmmaKernelOnComputeCapability90OnlyAndNamesTheEntryOfEachDtype() {
        for (int d : new int[] {64, 128}) {
            assertEquals("flash_fwd_f16_sm90_d" + d + " (flash_fwd_bf16_sm90_d" + d + " for bf16 inputs), fed by the"
                    + " copy engine (TMA)", GpuAttentionBackend.attentionKernel(Variant.FLASH_FP16, H100, d, true));
            assertEquals("flash_fwd_f16_d" + d + " (flash_fwd_bf16_d" + d + " for bf16 inputs)",
                    GpuAttentionBackend.attentionKernel(Variant.FLASH_FP16, H100, d, false));
            for (DeviceInfo other : new DeviceInfo[] {A100, L40}) {
                assertEquals("flash_fwd_f16_d" + d + " (flash_fwd_bf16_d" + d + " for bf16 inputs)",
                        GpuAttentionBackend.attentionKernel(Variant.FLASH_FP16, other, d, true));
            }
        }
    }

    @Test
    void headDimsOtherThan64And128AreRefusedWithTheReason() {
        Optional<String> reason = GpuAttentionBackend.shapeUnsupportedReason(Variant.SAGE_INT8_FP16, H100, 96, 1, 8);
        assertTrue(reason.orElseThrow().contains("head dim 96"), reason.toString());
        assertEquals(Optional.empty(), GpuAttentionBackend.shapeUnsupportedReason(Variant.FLASH_FP16, H100, 64, 1, 8));
        assertEquals(Optional.empty(), GpuAttentionBackend.shapeUnsupportedReason(Variant.SAGE_INT8_FP16, H100, 128, 4,
                32));
    }

    @Test
    void fp8NeedsComputeCapability89() {
        Optional<String> reason = GpuAttentionBackend.shapeUnsupportedReason(Variant.SAGE_INT8_FP8, A100, 128, 1, 8);
        assertTrue(reason.orElseThrow().contains("8.9") && reason.get().contains("A100"), reason.toString());
        assertEquals(Optional.empty(), GpuAttentionBackend.shapeUnsupportedReason(Variant.SAGE_INT8_FP8, L40, 128, 1,
                8));
        assertTrue(L40.hasNativeFp8MmaSync());
        assertFalse(H100.hasNativeFp8MmaSync(), "FP8 mma.sync is emulated on sm_90");
    }

    @Test
    void oversizedGridsAreRefused() {
        assertTrue(GpuAttentionBackend.shapeUnsupportedReason(Variant.FLASH_FP16, H100, 64, 70_000, 1).isPresent());
    }

    @Test
    void cudaErrorsNameTheCallAndTheResult() {
        CudaException e = new CudaException("cuMemAlloc(1024 bytes)", 2);
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", e.resultName());
        assertTrue(e.getMessage().startsWith("cuMemAlloc(1024 bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (2)"),
                e.getMessage());
        assertTrue(new CudaException("cuModuleLoadData", 222).getMessage()
                .contains("CUDA_ERROR_UNSUPPORTED_PTX_VERSION"));
    }

    @Test
    void theMissingKernelsMessageSaysHowToGetThem() {
        assertTrue(KernelModule.NO_KERNELS.startsWith("This build has no GPU kernels: nvcc was not found"));
        assertTrue(KernelModule.NO_KERNELS.contains("CUDA toolkit 12.8 or newer"));
        assertEquals(KernelModule.isBundled(), KernelModule.missingReason().isEmpty());
    }

    @Test
    void theBuildManifestGivesEachKernelsBlockAndSharedMemory() {
        var entries = KernelModule.parseEntries("{\"entries\": [{\"name\": \"flash_fwd_f16_d128\", \"params\":"
                + " \"FlashParams\", \"block\": 128, \"dynamic_smem\": 98304, \"min_cc\": 80},"
                + " {\"name\": \"sage_int8_fp8_sm90_d128\", \"params\": \"SageParams\", \"block\": 384,"
                + " \"dynamic_smem\": 230528, \"min_cc\": 90, \"softmax_keys\": 64},"
                + " {\"name\": \"sage_int8_fp16_sm90_d64\", \"params\": \"SageParams\", \"block\": 512,"
                + " \"dynamic_smem\": 124000, \"min_cc\": 90, \"softmax_keys\": 128, \"tile_rows\": 192}]}");
        assertEquals(new KernelModule.Entry("flash_fwd_f16_d128", "FlashParams", 128, 98304, 80, 0, 0),
                entries.get("flash_fwd_f16_d128"));
        assertEquals(new KernelModule.Entry("sage_int8_fp8_sm90_d128", "SageParams", 384, 230528, 90, 64, 0),
                entries.get("sage_int8_fp8_sm90_d128"));
        assertEquals(new KernelModule.Entry("sage_int8_fp16_sm90_d64", "SageParams", 512, 124000, 90, 128, 192),
                entries.get("sage_int8_fp16_sm90_d64"));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> KernelModule.parseEntries("{\"entries\": [{\"name\": \"x\"}]}"));
        assertTrue(e.getMessage().contains("lacks name/params/block/dynamic_smem"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> KernelModule.parseEntries("{not json"));
    }
}
