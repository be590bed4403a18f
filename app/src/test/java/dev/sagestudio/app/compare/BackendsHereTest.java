package dev.sagestudio.app.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.catalog.Availability;
import dev.sagestudio.attention.catalog.BackendCatalog;
import dev.sagestudio.attention.catalog.BackendDevice;
import dev.sagestudio.attention.catalog.BackendProbe;
import dev.sagestudio.attention.gpu.DeviceInfo;
import dev.sagestudio.attention.gpu.GpuStatus;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The app's backend lists come from the catalog and its availability on the machine a probe describes. */
class BackendsHereTest {

    static final String NO_DRIVER = "No NVIDIA driver was found.";

    static BackendProbe noGpu() {
        return new BackendProbe(new GpuStatus(false, NO_DRIVER, 0, List.of()), Optional.empty(), Optional.empty());
    }

    /** A machine whose first GPU has compute capability {@code major.minor}, with this build's kernels. */
    static BackendProbe gpu(String name, int major, int minor) {
        DeviceInfo device = new DeviceInfo(0, name, major, minor, 80L << 30, 132, 13000);
        return new BackendProbe(new GpuStatus(true, "1 CUDA device(s)", 13000, List.of(device)), Optional.empty(),
                Optional.empty());
    }

    private static List<String> names(List<Availability> list) {
        return list.stream().map(a -> a.backend().name()).toList();
    }

    @Test
    void thePickersOfferEveryGpuBackendItsCpuCounterpartAndOnnxRuntimeInCatalogOrder() {
        List<Availability> offered = new BackendsHere(noGpu()).offered();
        BackendCatalog catalog = BackendCatalog.standard();
        assertTrue(names(offered).containsAll(catalog.names(BackendDevice.GPU)), names(offered).toString());
        for (String gpu : catalog.names(BackendDevice.GPU)) {
            String cpu = catalog.require(gpu).cpuCounterpart().orElseThrow();
            assertTrue(names(offered).contains(cpu), gpu + "'s counterpart " + cpu + " is offered");
        }
        assertEquals(List.of("onnxruntime", "cpu-reference", "cpu-sage-int8-fp16", "cpu-sage-int8-fp16acc",
                "cpu-sage-int8-fp8", "flash-fp16", "sage-int8-fp16", "sage-int8-fp16acc", "sage-int8-fp8"),
                names(offered));
    }

    @Test
    void withoutADriverTheGpuBackendsAreListedWithTheDriversReasonAndTheCpuOnesRun() {
        for (Availability a : new BackendsHere(noGpu()).offered()) {
            assertEquals(a.backend().isGpu() ? Optional.of(NO_DRIVER) : Optional.empty(), a.whyNot(),
                    a.backend().name());
        }
    }

    @Test
    void onAnAmpereGpuTheFp8KernelIsRefusedWithTheComputeCapabilityItNeeds() {
        List<Availability> offered = new BackendsHere(gpu("NVIDIA A100", 8, 0)).offered();
        Availability fp8 = offered.stream().filter(a -> a.backend().name().equals("sage-int8-fp8")).findFirst()
                .orElseThrow();
        assertEquals(Optional.of("sage-int8-fp8 needs compute capability 8.9 or newer; NVIDIA A100 has 8.0"),
                fp8.whyNot());
        assertEquals(List.of("flash-fp16", "sage-int8-fp16", "sage-int8-fp16acc"),
                new BackendsHere(gpu("NVIDIA A100", 8, 0)).compared(), "only the GPU backends that run are compared");
    }

    @Test
    void aBuildWithoutKernelsComparesTheCpuBackendsEvenWithAGpu() {
        BackendProbe probe = gpu("NVIDIA H100", 9, 0);
        BackendProbe noKernels = new BackendProbe(probe.gpu(), Optional.of("this build has no kernels"),
                Optional.empty());
        assertEquals(List.of("cpu-reference", "cpu-sage-int8-fp16", "cpu-sage-int8-fp16acc", "cpu-sage-int8-fp8",
                "onnxruntime"), new BackendsHere(noKernels).compared());
        assertEquals(List.of("cpu-reference", "cpu-sage-int8-fp16"), new BackendsHere(noKernels).pair());
    }

    @Test
    void onAGpuTheComparisonStartsWithFullPrecisionAndPairsItWithTheDefaultSageKernel() {
        BackendsHere hopper = new BackendsHere(gpu("NVIDIA H100", 9, 0));
        assertEquals(List.of("flash-fp16", "sage-int8-fp16", "sage-int8-fp16acc", "sage-int8-fp8"),
                hopper.compared());
        assertEquals(List.of("flash-fp16", "sage-int8-fp16"), hopper.pair());
        assertEquals(List.of("cpu-reference", "cpu-sage-int8-fp16"), new BackendsHere(noGpu()).pair());
        assertEquals(new BackendsHere(noGpu()).pair(), BackendsHere.cpuPair());
    }

    @Test
    void aMissingCudaEpLeavesTheKernelsRunningAndSaysHow() {
        BackendProbe noEp = gpu("NVIDIA H100", 9, 0).withCudaEpReason(Optional.of("libcudnn.so.9 not found"));
        Availability sage = new BackendsHere(noEp).offered().stream()
                .filter(a -> a.backend().name().equals("sage-int8-fp16")).findFirst().orElseThrow();
        assertTrue(sage.runsHere());
        assertTrue(sage.note().orElseThrow().contains("host API") && sage.note().get().contains("libcudnn.so.9"),
                sage.note().toString());
    }
}
