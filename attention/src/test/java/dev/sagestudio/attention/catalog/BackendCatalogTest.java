package dev.sagestudio.attention.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.attention.cpu.SageAttentionEmulator;
import dev.sagestudio.attention.cpu.SageConfig;
import dev.sagestudio.attention.gpu.DeviceInfo;
import dev.sagestudio.attention.gpu.GpuAttentionBackend.Variant;
import dev.sagestudio.attention.gpu.GpuStatus;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BackendCatalogTest {
    private static final BackendCatalog CATALOG = BackendCatalog.standard();
    private static final DeviceInfo A100 = new DeviceInfo(0, "A100", 8, 0, 80L << 30, 108, 12040);
    private static final DeviceInfo H100 = new DeviceInfo(0, "H100", 9, 0, 80L << 30, 132, 13000);

    private static BackendProbe machineWith(DeviceInfo device) {
        return new BackendProbe(new GpuStatus(true, "1 CUDA device", 12040, List.of(device)), Optional.empty(),
                Optional.empty());
    }

    @Test
    void namesAreUniqueAndTheGpuBackendsAreTheKernelVariants() {
        List<String> names = CATALOG.all().stream().map(BackendDescriptor::name).toList();
        assertEquals(names.size(), new HashSet<>(names).size(), "duplicate names: " + names);
        assertEquals(List.of("flash-fp16", "sage-int8-fp16", "sage-int8-fp16acc", "sage-int8-fp8"),
                CATALOG.names(BackendDevice.GPU));
        for (Variant variant : Variant.values()) {
            assertEquals(variant.backendName(), CATALOG.gpu(variant).name());
        }
        assertTrue(names.containsAll(SageConfig.all().stream().map(SageConfig::backendName).toList()));
    }

    @Test
    void everyGpuBackendHasACpuCounterpartInTheCatalog() {
        for (BackendDescriptor gpu : CATALOG.all().stream().filter(BackendDescriptor::isGpu).toList()) {
            BackendDescriptor cpu = CATALOG.require(gpu.cpuCounterpart().orElseThrow());
            assertEquals(BackendDevice.CPU, cpu.device());
            assertEquals(cpu.name(), cpu.createCpu().name(), "the CPU counterpart of " + gpu.name());
        }
        assertEquals(ReferenceAttention.NAME, CATALOG.require("flash-fp16").cpuCounterpart().orElseThrow());
        assertEquals("cpu-sage-int8-fp8", CATALOG.require("sage-int8-fp8").cpuCounterpart().orElseThrow());
    }

    @Test
    void cpuFactoriesMakeTheNamedBackend() {
        assertInstanceOf(SageAttentionEmulator.class, CATALOG.require("cpu-sage").createCpu());
        assertEquals("cpu-sage-int8-fp16", CATALOG.require("cpu-sage").createCpu().name());
        for (BackendDescriptor b : CATALOG.all()) {
            if (!b.isGpu() && !b.runsInOnnxRuntime() && !b.name().equals(BackendCatalog.CPU_SAGE)) {
                assertEquals(b.name(), b.createCpu().name());
            }
        }
        assertTrue(CATALOG.require(BackendCatalog.ONNX_RUNTIME).runsInOnnxRuntime());
    }

    @Test
    void unknownNamesListWhatExists() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CATALOG.require("sage-int4"));
        assertEquals("unknown attention backend 'sage-int4'; CPU backends: cpu-reference, cpu-sage"
                + " (= cpu-sage-int8-fp16), cpu-sage-int8-<fp16|fp16acc|fp8|int8>[-per-warp|-per-thread][-nosmooth],"
                + " or onnxruntime (ONNX Runtime's own attention, no substitution); GPU backends: flash-fp16,"
                + " sage-int8-fp16, sage-int8-fp16acc, sage-int8-fp8", e.getMessage());
    }

    @Test
    void withoutADriverOnlyTheCpuBackendsRunAndTheGpuOnesSayWhy() {
        BackendProbe noDriver = new BackendProbe(new GpuStatus(false, "No NVIDIA driver was found.", 0, List.of()),
                Optional.empty(), Optional.empty());
        for (Availability a : CATALOG.availability(noDriver)) {
            assertEquals(!a.backend().isGpu(), a.runsHere(), a.backend().name());
            if (a.backend().isGpu()) {
                assertEquals("No NVIDIA driver was found.", a.whyNot().orElseThrow());
            }
        }
    }

    @Test
    void aBuildWithoutKernelsSaysSo() {
        BackendProbe noKernels = new BackendProbe(machineWith(H100).gpu(), Optional.of("no kernels in this build"),
                Optional.empty());
        Availability flash = BackendCatalog.availability(CATALOG.require("flash-fp16"), noKernels);
        assertEquals(Optional.of("no kernels in this build"), flash.whyNot());
    }

    @Test
    void fp8NeedsComputeCapability89() {
        Availability onA100 = BackendCatalog.availability(CATALOG.require("sage-int8-fp8"), machineWith(A100));
        assertFalse(onA100.runsHere());
        assertEquals("sage-int8-fp8 needs compute capability 8.9 or newer; A100 has 8.0", onA100.whyNot().get());
        assertTrue(BackendCatalog.availability(CATALOG.require("sage-int8-fp16"), machineWith(A100)).runsHere());
        assertTrue(BackendCatalog.availability(CATALOG.require("sage-int8-fp8"), machineWith(H100)).runsHere());
    }

    @Test
    void aMissingCudaEpIsANoteNotARefusal() {
        Availability a = BackendCatalog.availability(CATALOG.require("sage-int8-fp16"),
                machineWith(H100).withCudaEpReason(Optional.of("CPU-only ONNX Runtime natives")));
        assertTrue(a.runsHere());
        assertTrue(a.note().orElseThrow().contains("host API") && a.note().get().contains("CPU-only"), a.note().get());
    }
}
