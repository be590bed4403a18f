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
 * @param requested the name the user asked for
 * @param backend the backend that runs (its {@link AttentionBackend#name()} is what ran)
 * @param fallbackReason why {@code backend} is not {@code requested}; empty when it is
 */
public record AttentionChoice(String requested, AttentionBackend backend, Optional<String> fallbackReason) {

    /** CPU backend names accepted by {@link #resolve}. */
    public static final String CPU_NAMES = "cpu-reference, cpu-sage (= cpu-sage-int8-fp16), "
            + "cpu-sage-int8-<fp16|fp16acc|fp8|int8>[-per-warp|-per-thread][-nosmooth]";

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
        Objects.requireNonNull(backend, "backend");
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

    /** One line for logs and reports: what ran, and why if it is not what was asked for. */
    public String describe() {
        return fallbackReason.map(r -> "attention: " + backend.name() + " (requested " + requested + "; FALLBACK: " + r
                + ")").orElse("attention: " + backend.name());
    }
}
