package dev.sagestudio.app.compare;

import dev.sagestudio.app.doctor.CudaEpCheck;
import dev.sagestudio.attention.catalog.Availability;
import dev.sagestudio.attention.catalog.BackendCatalog;
import dev.sagestudio.attention.catalog.BackendDescriptor;
import dev.sagestudio.attention.catalog.BackendProbe;
import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.attention.gpu.GpuAttentionBackend.Variant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The app's view of the {@link BackendCatalog} on one machine: which backends the pickers offer, which of them run
 * here (and why not), the columns a sweep or a benchmark compares and the default A/B pair. Every list is derived
 * from the catalog and its {@link BackendCatalog#availability(BackendProbe) availability}; the app keeps no names.
 * <p>
 * The pickers offer ONNX Runtime's own attention, every GPU backend, and each GPU backend's CPU counterpart (the
 * float64 reference and the emulations of what the kernels compute). The emulator's other variants (granularities,
 * no smoothing, INT8 PV) are experiment settings that the command line and {@code accuracy} reach by name.
 */
public final class BackendsHere {

    private final BackendCatalog catalog = BackendCatalog.standard();
    private final List<Availability> offered;

    /** The backends as {@code probe} describes the machine (tests pose as machines with and without a GPU). */
    public BackendsHere(BackendProbe probe) {
        Objects.requireNonNull(probe, "probe");
        Set<String> counterparts = catalog.all().stream().flatMap(b -> b.cpuCounterpart().stream())
                .collect(Collectors.toSet());
        offered = catalog.availability(probe).stream()
                .filter(a -> a.backend().isGpu() || a.backend().runsInOnnxRuntime()
                        || counterparts.contains(a.backend().name()))
                .toList();
    }

    /** This machine: the driver, this build's kernels and, where a GPU backend could run, the CUDA EP. */
    public static BackendsHere here() {
        BackendProbe probe = BackendProbe.here();
        boolean gpuCouldRun = BackendCatalog.standard().availability(probe).stream()
                .anyMatch(a -> a.backend().isGpu() && a.runsHere());
        // Only then does the CUDA EP decide anything (device path or host API), and asking it loads its natives.
        return new BackendsHere(gpuCouldRun ? probe.withCudaEpReason(CudaEpCheck.problemHere()) : probe);
    }

    /** The backends a picker lists, in catalog order, each with whether it runs here and why not. */
    public List<Availability> offered() {
        return offered;
    }

    /**
     * The backends a sweep or benchmark compares here, full precision first (the column the others are measured
     * against): the GPU backends that run here when there are any, else the CPU ones with ONNX Runtime's attention
     * last.
     */
    public List<String> compared() {
        List<BackendDescriptor> gpu = offered.stream().filter(a -> a.backend().isGpu() && a.runsHere())
                .map(Availability::backend).toList();
        List<BackendDescriptor> chosen = new ArrayList<>(gpu.isEmpty() ? offered.stream().map(Availability::backend)
                .filter(b -> !b.isGpu()).toList() : gpu);
        chosen.sort(Comparator.comparing((BackendDescriptor b) -> b.runsInOnnxRuntime())
                .thenComparing(b -> !isFullPrecision(b)));
        return chosen.stream().map(BackendDescriptor::name).toList();
    }

    /**
     * The default A/B pair here: the full-precision backend against the default SageAttention kernel
     * ({@code flash-fp16} and {@code sage-int8-fp16} where they run, else their CPU counterparts).
     */
    public List<String> pair() {
        return List.of(runningOrCounterpart(Variant.FLASH_FP16), runningOrCounterpart(Variant.SAGE_INT8_FP16));
    }

    /** {@link #pair()} on a machine without a usable GPU: what the CPU-only defaults of the commands are. */
    public static List<String> cpuPair() {
        BackendCatalog catalog = BackendCatalog.standard();
        return List.of(counterpart(catalog, Variant.FLASH_FP16), counterpart(catalog, Variant.SAGE_INT8_FP16));
    }

    private String runningOrCounterpart(Variant variant) {
        BackendDescriptor gpu = catalog.gpu(variant);
        boolean runs = offered.stream().anyMatch(a -> a.backend().equals(gpu) && a.runsHere());
        return runs ? gpu.name() : counterpart(catalog, variant);
    }

    private static String counterpart(BackendCatalog catalog, Variant variant) {
        return catalog.gpu(variant).cpuCounterpart().orElseThrow();
    }

    private static boolean isFullPrecision(BackendDescriptor b) {
        return b.name().equals(ReferenceAttention.NAME)
                || b.cpuCounterpart().filter(ReferenceAttention.NAME::equals).isPresent();
    }

    /** {@link #compared()} on this machine. */
    public static List<String> all() {
        return here().compared();
    }

    /** {@link #pair()} on this machine. */
    public static List<String> defaultPair() {
        return here().pair();
    }
}
