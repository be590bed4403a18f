package dev.sagestudio.attention.catalog;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.cpu.PvMode;
import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.attention.cpu.SageAttentionEmulator;
import dev.sagestudio.attention.cpu.SageConfig;
import dev.sagestudio.attention.gpu.GpuAttentionBackend;
import dev.sagestudio.attention.gpu.GpuAttentionBackend.Variant;
import dev.sagestudio.attention.quant.Granularity;
import dev.sagestudio.attention.tensor.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Every attention backend SageStudio can run, in one list: the only place that names them, says which GPU backend
 * has which CPU counterpart and what each needs. Command-line help, {@code --backend} validation and the UI's picker
 * are derived from it; {@link #availability(BackendProbe)} says per backend whether it runs here and why not.
 */
public final class BackendCatalog {

    /** The choice that leaves attention to ONNX Runtime: no SageStudio backend substitutes its attention nodes. */
    public static final String ONNX_RUNTIME = "onnxruntime";

    /** Short name of the default CPU SageAttention emulator. */
    public static final String CPU_SAGE = "cpu-sage";

    /** Head dims the quantized kernels (GPU and emulated) take; also those the GPU kernels are compiled for. */
    private static final List<Integer> KERNEL_HEAD_DIMS = Arrays.stream(GpuAttentionBackend.HEAD_DIMS)
            .boxed().toList();
    private static final Set<DType> ALL_DTYPES = EnumSet.allOf(DType.class);

    private static final BackendCatalog STANDARD = new BackendCatalog(standardEntries());

    private final List<BackendDescriptor> backends;

    private BackendCatalog(List<BackendDescriptor> backends) {
        this.backends = List.copyOf(backends);
    }

    /** The backends of this build. */
    public static BackendCatalog standard() {
        return STANDARD;
    }

    /** Every backend, ONNX Runtime's own attention first, then the CPU backends, then the GPU backends. */
    public List<BackendDescriptor> all() {
        return backends;
    }

    /** The backend called {@code name}, if there is one. */
    public Optional<BackendDescriptor> find(String name) {
        return backends.stream().filter(b -> b.name().equals(name)).findFirst();
    }

    /**
     * The backend called {@code name}.
     *
     * @throws IllegalArgumentException naming the CPU and GPU backends there are
     */
    public BackendDescriptor require(String name) {
        return find(name).orElseThrow(() -> new IllegalArgumentException("unknown attention backend '" + name
                + "'; CPU backends: " + cpuNamesSummary() + "; GPU backends: " + String.join(", ",
                names(BackendDevice.GPU).stream().sorted().toList())));
    }

    /** The names of the backends on {@code device}, in catalog order. */
    public List<String> names(BackendDevice device) {
        return backends.stream().filter(b -> b.device() == device).map(BackendDescriptor::name).toList();
    }

    /** The GPU backend running {@code variant}. */
    public BackendDescriptor gpu(Variant variant) {
        return backends.stream().filter(b -> b.gpuVariant().equals(Optional.of(variant))).findFirst()
                .orElseThrow(() -> new IllegalStateException("no catalog entry for " + variant));
    }

    /**
     * Our CPU backends in a few words, the emulator's variants as one pattern: {@code cpu-reference, cpu-sage
     * (= cpu-sage-int8-fp16), cpu-sage-int8-<fp16|fp16acc|fp8|int8>[-per-warp|-per-thread][-nosmooth]}.
     */
    public String substituteCpuNamesSummary() {
        String pv = Arrays.stream(PvMode.values()).map(PvMode::label).collect(Collectors.joining("|"));
        String granularity = Arrays.stream(Granularity.values()).filter(g -> g != Granularity.PER_BLOCK)
                .map(g -> "-" + g.label()).collect(Collectors.joining("|"));
        return ReferenceAttention.NAME + ", " + CPU_SAGE + " (= " + SageConfig.defaults().backendName() + "), "
                + "cpu-sage-int8-<" + pv + ">[" + granularity + "][" + SageConfig.NO_SMOOTH_SUFFIX + "]";
    }

    /** Every CPU choice in a few words: {@link #substituteCpuNamesSummary()}, or ONNX Runtime's own attention. */
    public String cpuNamesSummary() {
        return substituteCpuNamesSummary() + ", or " + ONNX_RUNTIME + " (" + require(ONNX_RUNTIME).description() + ")";
    }

    /** The GPU backend names, comma-separated, in catalog order (for help texts). */
    public String gpuNames() {
        return String.join(", ", names(BackendDevice.GPU));
    }

    /** Per backend, in catalog order: whether it runs on the machine {@code probe} describes, and why not. */
    public List<Availability> availability(BackendProbe probe) {
        return backends.stream().map(b -> availability(b, probe)).toList();
    }

    /** Whether {@code backend} runs on the machine {@code probe} describes, and why not. */
    public static Availability availability(BackendDescriptor backend, BackendProbe probe) {
        if (!backend.isGpu()) {
            return new Availability(backend, Optional.empty(), Optional.empty());
        }
        if (!probe.gpu().available()) {
            return new Availability(backend, Optional.of(probe.gpu().message()), Optional.empty());
        }
        if (probe.kernelsReason().isPresent()) {
            return new Availability(backend, probe.kernelsReason(), Optional.empty());
        }
        var device = probe.device().orElseThrow();
        if (device.smArchitecture() < backend.minComputeCapability()) {
            return new Availability(backend, Optional.of(backend.name() + " needs compute capability "
                    + backend.minComputeCapability() / 10 + "." + backend.minComputeCapability() % 10
                    + " or newer; " + device.name() + " has " + device.computeCapability()), Optional.empty());
        }
        return new Availability(backend, Optional.empty(), probe.cudaEpReason().map(why -> backend.name()
                + " runs through the kernels' host API (ONNX Runtime on the CPU): the CUDA EP cannot start: " + why));
    }

    private static List<BackendDescriptor> standardEntries() {
        List<BackendDescriptor> entries = new ArrayList<>();
        entries.add(new BackendDescriptor(ONNX_RUNTIME, BackendDevice.CPU, Optional.empty(), 0, List.of(),
                ALL_DTYPES, "ONNX Runtime's own attention, no substitution", Optional.empty(), Optional.empty()));
        entries.add(cpu(ReferenceAttention.NAME, List.of(), "exact attention accumulated in float64",
                ReferenceAttention::new));
        entries.add(cpu(CPU_SAGE, KERNEL_HEAD_DIMS, "the SageAttention emulator with its defaults (= "
                + SageConfig.defaults().backendName() + ")", SageAttentionEmulator::new));
        for (SageConfig config : SageConfig.all()) {
            entries.add(cpu(config.backendName(), KERNEL_HEAD_DIMS, "SageAttention emulated on the CPU: "
                    + config.describe(), () -> new SageAttentionEmulator(config)));
        }
        entries.add(gpu(Variant.FLASH_FP16, ReferenceAttention.NAME, 80,
                "full-precision flash attention in fp16 (bf16 for bf16 inputs): on Hopper (compute capability 9.0)"
                        + " the wgmma kernel flash_fwd_*_sm90, elsewhere the FlashAttention-2-style mma.sync kernel"));
        entries.add(gpu(Variant.SAGE_INT8_FP16, SageConfig.defaults().backendName(), 80,
                "SageAttention: INT8 QK^T with smoothed K, FP16 PV accumulated in FP32"));
        entries.add(gpu(Variant.SAGE_INT8_FP16ACC, new SageConfig(true, Granularity.PER_BLOCK,
                PvMode.FP16_ACCUM_FP16).backendName(), 80,
                "SageAttention with PV accumulated in FP16 inside each 64-key block"));
        entries.add(gpu(Variant.SAGE_INT8_FP8, new SageConfig(true, Granularity.PER_BLOCK, PvMode.FP8).backendName(),
                89, "SageAttention2: INT8 QK^T, FP8 (e4m3) PV with per-channel V scales"));
        return entries;
    }

    private static BackendDescriptor cpu(String name, List<Integer> headDims, String description,
                                         java.util.function.Supplier<AttentionBackend> factory) {
        return new BackendDescriptor(name, BackendDevice.CPU, Optional.empty(), 0, headDims, ALL_DTYPES, description,
                Optional.of(factory), Optional.empty());
    }

    private static BackendDescriptor gpu(Variant variant, String cpuCounterpart, int minComputeCapability,
                                         String description) {
        return new BackendDescriptor(variant.backendName(), BackendDevice.GPU, Optional.of(cpuCounterpart),
                minComputeCapability, KERNEL_HEAD_DIMS, ALL_DTYPES, description, Optional.empty(),
                Optional.of(variant));
    }
}
