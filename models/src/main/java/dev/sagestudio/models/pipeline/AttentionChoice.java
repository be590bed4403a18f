package dev.sagestudio.models.pipeline;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.attention.cpu.SageAttentionEmulator;
import dev.sagestudio.attention.cpu.SageConfig;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The attention backend a run asked for and the one that will actually run, with the reason whenever they
 * differ. Nothing falls back silently: a GPU backend name either fails with the reason, or — only when the
 * caller allows it — maps to its CPU counterpart and {@link #fallbackReason()} says so.
 *
 * <p>{@value #ONNX_RUNTIME} is a choice too: no SageStudio backend; the denoiser runs whole in ONNX Runtime, whose own
 * attention kernels run its attention (the fastest CPU path, and the baseline the substitutions are compared with).
 *
 * @param requested the name the user asked for
 * @param backend the backend that runs (its {@link AttentionBackend#name()} is what ran); null for
 *                {@value #ONNX_RUNTIME}
 * @param fallbackReason why {@code backend} is not {@code requested}; empty when it is
 */
public record AttentionChoice(String requested, AttentionBackend backend, Optional<String> fallbackReason) {

    /** The choice that leaves attention to ONNX Runtime. */
    public static final String ONNX_RUNTIME = "onnxruntime";

    /** CPU backend names accepted by {@link #resolve}. */
    public static final String CPU_NAMES = "cpu-reference, cpu-sage (= cpu-sage-int8-fp16), "
            + "cpu-sage-int8-<fp16|fp16acc|fp8|int8>[-per-warp|-per-thread][-nosmooth], or onnxruntime (ONNX Runtime's"
            + " own attention, no substitution)";

    /**
     * The GPU backends and the CPU backend that computes the same thing (the emulator emulates the kernel's
     * quantization; flash-fp16 is exact attention, whose CPU counterpart is the float64-accumulating reference).
     */
    private static final Map<String, String> GPU_TO_CPU = Map.of(
            "flash-fp16", ReferenceAttention.NAME,
            "sage-int8-fp16", "cpu-sage-int8-fp16",
            "sage-int8-fp16acc", "cpu-sage-int8-fp16acc",
            "sage-int8-fp8", "cpu-sage-int8-fp8");

    /** Why GPU backends cannot run in this pipeline (stated, not hidden). */
    static final String NO_GPU_PATH = "the pipeline has no GPU execution path yet (ONNX Runtime runs on the CPU EP"
            + " with host tensors; the device path with IoBinding and in-place kernels is not implemented)";

    public AttentionChoice {
        Objects.requireNonNull(requested, "requested");
        if (backend == null && fallbackReason.isPresent()) {
            throw new IllegalArgumentException("a fallback must name the backend that runs");
        }
        Objects.requireNonNull(fallbackReason, "fallbackReason");
    }

    /**
     * The backend called {@code name}.
     *
     * @param allowCpuFallback whether a GPU backend name may run as its CPU counterpart (reported) instead of failing
     * @throws IllegalArgumentException naming the accepted names, or why a GPU backend cannot run
     */
    public static AttentionChoice resolve(String name, boolean allowCpuFallback) {
        Objects.requireNonNull(name, "backend name");
        if (name.equals(ONNX_RUNTIME)) {
            return new AttentionChoice(name, null, Optional.empty());
        }
        String cpuName = GPU_TO_CPU.get(name);
        if (cpuName != null) {
            if (!allowCpuFallback) {
                throw new IllegalArgumentException("attention backend '" + name + "' runs on the GPU, but " + NO_GPU_PATH
                        + "; choose a CPU backend (" + CPU_NAMES + ") or allow the CPU fallback, which runs "
                        + cpuName + " and reports it");
            }
            return new AttentionChoice(name, cpuBackend(cpuName), Optional.of(name + " ran on the CPU as " + cpuName
                    + " because " + NO_GPU_PATH));
        }
        return new AttentionChoice(name, cpuBackend(name), Optional.empty());
    }

    /** A CPU backend by name. */
    public static AttentionBackend cpuBackend(String name) {
        if (name.equals(ReferenceAttention.NAME)) {
            return new ReferenceAttention();
        }
        if (name.equals("cpu-sage")) {
            return new SageAttentionEmulator();
        }
        if (name.startsWith("cpu-sage-int8-")) {
            return new SageAttentionEmulator(SageConfig.parse(name));
        }
        throw new IllegalArgumentException("unknown attention backend '" + name + "'; CPU backends: " + CPU_NAMES
                + "; GPU backends: " + String.join(", ", GPU_TO_CPU.keySet().stream().sorted().toList()));
    }

    /** Whether ONNX Runtime runs the attention (no SageStudio backend). */
    public boolean isOnnxRuntime() {
        return backend == null;
    }

    /** The name of what runs attention: the backend's name, or {@value #ONNX_RUNTIME}. */
    public String name() {
        return backend == null ? ONNX_RUNTIME : backend.name();
    }

    /** The backend, or an error saying that {@value #ONNX_RUNTIME} has none (for work that needs one). */
    public AttentionBackend requireBackend(String forWhat) {
        if (backend == null) {
            throw new IllegalArgumentException(forWhat + " needs a SageStudio attention backend; '" + ONNX_RUNTIME
                    + "' runs attention inside ONNX Runtime, where its inputs cannot be reached");
        }
        return backend;
    }
}
