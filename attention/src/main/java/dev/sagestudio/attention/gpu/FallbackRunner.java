package dev.sagestudio.attention.gpu;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.AttentionShape;
import dev.sagestudio.attention.UnsupportedAttentionException;
import java.util.Objects;
import java.util.Optional;

/**
 * Runs attention on the backend asked for, or — when it cannot run the request — on the next one that
 * can: a quantized GPU kernel falls back to {@code flash-fp16}, and the GPU falls back to the CPU backend
 * given. Every fallback is logged as a warning and reported in the {@link AttentionRun}.
 */
public final class FallbackRunner {
    private static final System.Logger LOG = System.getLogger(FallbackRunner.class.getName());

    private final GpuBackends gpu;
    private final String gpuUnavailableReason;
    private final AttentionBackend cpu;

    private FallbackRunner(GpuBackends gpu, String gpuUnavailableReason, AttentionBackend cpu) {
        this.gpu = gpu;
        this.gpuUnavailableReason = gpuUnavailableReason;
        this.cpu = Objects.requireNonNull(cpu, "cpu fallback");
    }

    /** Falls back from {@code gpu}'s backends to {@code cpu}. */
    public static FallbackRunner withGpu(GpuBackends gpu, AttentionBackend cpu) {
        return new FallbackRunner(Objects.requireNonNull(gpu, "gpu"), null, cpu);
    }

    /** No GPU here: every GPU backend request runs on {@code cpu}, with {@code reason} reported. */
    public static FallbackRunner withoutGpu(String reason, AttentionBackend cpu) {
        return new FallbackRunner(null, Objects.requireNonNull(reason, "reason"), cpu);
    }

    /**
     * Runs {@code request} on the backend named {@code requested}: a GPU backend name, or the CPU backend's.
     *
     * @throws IllegalArgumentException      if no backend has that name
     * @throws UnsupportedAttentionException if not even the CPU backend can run the request
     */
    public AttentionRun run(String requested, AttentionRequest request) {
        Objects.requireNonNull(requested, "requested");
        Objects.requireNonNull(request, "request");
        AttentionShape shape = request.shape();
        if (requested.equals(cpu.name())) {
            return new AttentionRun(requested, cpu.name(), Optional.empty(), cpu.compute(request));
        }
        GpuAttentionBackend.Variant variant = GpuAttentionBackend.Variant.byName(requested).orElseThrow(() ->
                new IllegalArgumentException("unknown attention backend '" + requested + "'; choose one of "
                        + GpuBackends.names() + " or " + cpu.name()));
        String reason;
        if (gpu == null) {
            reason = requested + " needs a GPU: " + gpuUnavailableReason;
        } else {
            GpuAttentionBackend chosen = gpu.backend(variant);
            Optional<String> unsupported = chosen.unsupportedReason(shape);
            if (unsupported.isEmpty()) {
                return new AttentionRun(requested, chosen.name(), Optional.empty(), chosen.compute(request));
            }
            reason = requested + " cannot run " + shape.describe() + ": " + unsupported.get();
            if (variant.quantized()) {
                GpuAttentionBackend flash = gpu.backend(GpuAttentionBackend.Variant.FLASH_FP16);
                Optional<String> flashUnsupported = flash.unsupportedReason(shape);
                if (flashUnsupported.isEmpty()) {
                    return fallBack(requested, flash, reason, request);
                }
                reason = reason + "; flash-fp16 cannot either: " + flashUnsupported.get();
            }
        }
        Optional<String> cpuUnsupported = cpu.unsupportedReason(shape);
        if (cpuUnsupported.isPresent()) {
            throw new UnsupportedAttentionException(requested, shape, reason + "; " + cpu.name()
                    + " cannot either: " + cpuUnsupported.get());
        }
        return fallBack(requested, cpu, reason, request);
    }

    private static AttentionRun fallBack(String requested, AttentionBackend used, String reason,
                                         AttentionRequest request) {
        String message = reason + "; ran " + used.name() + " instead";
        LOG.log(System.Logger.Level.WARNING, message);
        return new AttentionRun(requested, used.name(), Optional.of(message), used.compute(request));
    }
}
