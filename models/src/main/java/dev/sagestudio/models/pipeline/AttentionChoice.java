package dev.sagestudio.models.pipeline;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.attention.cpu.SageAttentionEmulator;
import dev.sagestudio.attention.cpu.SageConfig;
import dev.sagestudio.attention.gpu.GpuBackends;
import dev.sagestudio.attention.gpu.GpuStatus;
import dev.sagestudio.attention.gpu.GpuUnavailableException;
import dev.sagestudio.models.runtime.OrtRuntimeException;
import dev.sagestudio.models.runtime.device.DeviceOnnxPath;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The attention backend a run asked for and the one that will actually run, with the reason whenever they
 * differ. Nothing falls back silently: a GPU backend name runs on the GPU, or fails with the reason the GPU cannot
 * be used, or — only when the caller allows it — runs its CPU counterpart and {@link #fallbackReason()} says so.
 *
 * <p>{@value #ONNX_RUNTIME} is a choice too: no SageStudio backend; the denoiser runs whole in ONNX Runtime, whose own
 * attention kernels run its attention (the fastest CPU path, and the baseline the substitutions are compared with).
 *
 * <p>A GPU backend runs on the zero-copy device path when ONNX Runtime's CUDA EP can start ({@link #device()}: the
 * denoiser's segments on the CUDA EP, our kernels reading Q, K and V where the segments left them, one stream).
 * When the CUDA EP cannot start (the build's ONNX Runtime natives are the CPU-only ones, or CUDA libraries are
 * missing) it is used through its host API instead — Q, K and V uploaded and O downloaded for every call, ONNX
 * Runtime on the CPU — and {@link #note()} says so and why. Close the choice to release the GPU.
 *
 * @param requested the name the user asked for
 * @param backend the backend that runs (its {@link AttentionBackend#name()} is what ran); null for
 *                {@value #ONNX_RUNTIME}
 * @param fallbackReason why {@code backend} is not {@code requested}; empty when it is
 * @param note what else the user should know about how it runs (the device path, or host copies and why)
 * @param device the zero-copy device path the denoiser runs on; empty on the host paths
 * @param owned what {@link #close()} releases (the GPU context, the device path), or null
 */
public record AttentionChoice(String requested, AttentionBackend backend, Optional<String> fallbackReason,
                              Optional<String> note, Optional<DeviceOnnxPath> device, AutoCloseable owned)
        implements AutoCloseable {

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

    /** Said whenever a GPU backend runs through its host API inside this pipeline. */
    static final String HOST_COPIES = "GPU kernels called through their host API: Q, K and V are uploaded and O"
            + " downloaded for every attention call, and ONNX Runtime runs on the CPU";

    /** Said whenever a GPU backend runs on the device path. */
    static final String ZERO_COPY = "zero-copy device path: the denoiser's ONNX Runtime segments on the CUDA EP and"
            + " our kernels share one stream and keep every tensor between them in GPU memory; where the scheduler's"
            + " step is an affine map (flow Euler) the sample stays on the GPU through the whole loop, guidance and"
            + " step included, and only scalars go up per step (otherwise a note says why not)";

    /** Opens the device path for a GPU backend name, or says why it cannot (tests pose as machines without it). */
    @FunctionalInterface
    interface DevicePathOpener {
        DeviceOnnxPath open(String backendName) throws GpuUnavailableException, OrtRuntimeException;
    }

    public AttentionChoice {
        Objects.requireNonNull(requested, "requested");
        Objects.requireNonNull(fallbackReason, "fallbackReason");
        Objects.requireNonNull(note, "note");
        Objects.requireNonNull(device, "device");
        if (backend == null && fallbackReason.isPresent()) {
            throw new IllegalArgumentException("a fallback must name the backend that runs");
        }
    }

    /**
     * The backend called {@code name}, probing the GPU for GPU names (ONNX Runtime's default thread count on the
     * device path).
     *
     * @param allowCpuFallback whether a GPU backend name may run as its CPU counterpart (reported) when the GPU cannot
     *                         be used, instead of failing
     * @throws IllegalArgumentException naming the accepted names, or why a GPU backend cannot run
     */
    public static AttentionChoice resolve(String name, boolean allowCpuFallback) {
        return resolve(name, allowCpuFallback, 0);
    }

    /** As {@link #resolve(String, boolean)}; {@code threads}: ONNX Runtime intra-op threads on the device path. */
    public static AttentionChoice resolve(String name, boolean allowCpuFallback, int threads) {
        return resolve(name, allowCpuFallback, AttentionChoice::openGpu,
                backendName -> {
                    requireUsableGpu();
                    return DeviceOnnxPath.open(0, backendName, threads);
                });
    }

    /** As {@link #resolve(String, boolean)} with the GPU opened by {@code gpu} and no device path (tests). */
    static AttentionChoice resolve(String name, boolean allowCpuFallback, Supplier<GpuBackends> gpu) {
        return resolve(name, allowCpuFallback, gpu, backendName -> {
            throw new OrtRuntimeException("no device path in this configuration");
        });
    }

    /**
     * As {@link #resolve(String, boolean)} with the GPU opened by {@code gpu} and the device path by {@code device}.
     * Order for a GPU name: the device path; if ONNX Runtime's CUDA EP cannot start, the host API (said, with the
     * reason); if the GPU cannot be used at all, the CPU counterpart when allowed (a fallback, with the reason).
     */
    static AttentionChoice resolve(String name, boolean allowCpuFallback, Supplier<GpuBackends> gpu,
                                   DevicePathOpener device) {
        Objects.requireNonNull(name, "backend name");
        if (name.equals(ONNX_RUNTIME)) {
            return new AttentionChoice(name, null, Optional.empty(), Optional.empty(), Optional.empty(), null);
        }
        String cpuName = GPU_TO_CPU.get(name);
        if (cpuName == null) {
            return new AttentionChoice(name, cpuBackend(name), Optional.empty(), Optional.empty(), Optional.empty(),
                    null);
        }
        String whyNot;
        try {
            String whyNoDevicePath;
            try {
                DeviceOnnxPath path = device.open(name);
                return new AttentionChoice(name, path.backend(), Optional.empty(), Optional.of(name + " on "
                        + path.deviceName() + ": " + ZERO_COPY), Optional.of(path), path);
            } catch (OrtRuntimeException e) {
                whyNoDevicePath = e.getMessage();
            }
            GpuBackends backends = gpu.get();
            try {
                AttentionBackend backend = backends.backend(name);
                return new AttentionChoice(name, backend, Optional.empty(), Optional.of(name + " on "
                        + backends.context().device().name() + ": " + HOST_COPIES + " (no zero-copy device path: "
                        + whyNoDevicePath + ")"), Optional.empty(), backends);
            } catch (RuntimeException e) {
                backends.close();
                throw e;
            }
        } catch (GpuUnavailableException e) {
            whyNot = e.getMessage();
        }
        if (!allowCpuFallback) {
            throw new IllegalArgumentException(GpuRefusal.message(name, cpuName, whyNot));
        }
        return new AttentionChoice(name, cpuBackend(cpuName), Optional.of(name + " ran on the CPU as " + cpuName
                + " because the GPU cannot be used: " + whyNot), Optional.empty(), Optional.empty(), null);
    }

    private static GpuBackends openGpu() {
        requireUsableGpu();
        return GpuBackends.open(0);
    }

    private static void requireUsableGpu() {
        GpuStatus status = GpuStatus.probe();
        if (!status.available()) {
            throw new GpuUnavailableException(status.message());
        }
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

    /**
     * On the host API path of a GPU backend: its CPU counterpart, which runs the nodes whose shape the GPU kernel
     * refuses (head dims other than 64 and 128), each reported as a fallback. Empty otherwise (CPU backends refuse
     * with their reason; the device path has its own per-node fallback).
     */
    public Optional<AttentionBackend> shapeFallback() {
        String cpuName = GPU_TO_CPU.get(requested);
        return cpuName == null || device.isPresent() || fallbackReason.isPresent() || backend == null
                ? Optional.empty() : Optional.of(cpuBackend(cpuName));
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

    /** Releases the GPU context if this choice opened one; idempotent through the GPU runtime's own checks. */
    @Override
    public void close() {
        if (owned != null) {
            try {
                owned.close();
            } catch (Exception e) {
                throw new IllegalStateException("could not release " + requested + ": " + e.getMessage(), e);
            }
        }
    }
}
