package dev.sagestudio.models.pipeline;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.catalog.BackendCatalog;
import dev.sagestudio.attention.catalog.BackendDescriptor;
import dev.sagestudio.attention.gpu.GpuBackends;
import dev.sagestudio.attention.gpu.GpuStatus;
import dev.sagestudio.attention.gpu.GpuUnavailableException;
import dev.sagestudio.models.runtime.OrtRuntimeException;
import dev.sagestudio.models.runtime.device.DeviceOnnxPath;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The one fallback policy: turns a backend name from the {@link BackendCatalog} into the {@link AttentionChoice} that
 * runs. For a GPU name, in this order: the zero-copy device path; if ONNX Runtime's CUDA EP cannot start, the kernels'
 * host API (said, with the reason); if the GPU cannot be used at all, the CPU counterpart when the caller allows it
 * (a fallback, with the reason), else an error naming the reason and the choices.
 */
public final class AttentionResolver {

    /** Said whenever a GPU backend runs through its host API inside this pipeline. */
    static final String HOST_COPIES = "GPU kernels called through their host API: Q, K and V are uploaded and O"
            + " downloaded for every attention call, and ONNX Runtime runs on the CPU";

    /** Said whenever a GPU backend runs on the device path. */
    static final String ZERO_COPY = "zero-copy device path: the denoiser's ONNX Runtime segments on the CUDA EP and"
            + " our kernels share one stream and keep every tensor between them in GPU memory; where the scheduler's"
            + " step is an affine map (flow Euler) the sample stays on the GPU through the whole loop, guidance and"
            + " step included, and only scalars go up per step (otherwise a note says why not)";

    /** Opens the device path for a GPU backend, or says why it cannot (tests pose as machines without it). */
    @FunctionalInterface
    interface DevicePathOpener {
        DeviceOnnxPath open(BackendDescriptor backend) throws GpuUnavailableException, OrtRuntimeException;
    }

    private AttentionResolver() {
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
        return resolve(name, allowCpuFallback, AttentionResolver::openGpu,
                backend -> {
                    requireUsableGpu();
                    DeviceOnnxPath path = DeviceOnnxPath.open(0, backend, threads);
                    if (!"false".equalsIgnoreCase(System.getProperty(QUEUE_RUNS_PROPERTY, "true"))) {
                        path.queueRunsWithoutWaitingWhereSafe(); // else runs wait: said in the path's description
                    }
                    return path;
                });
    }

    /**
     * The device path's ONNX Runtime runs return once queued on the stream instead of waiting for it (what {@code
     * step-time --pipelined} measures, and what lets the loop record a step as a CUDA graph), unless this system
     * property is "false".
     */
    static final String QUEUE_RUNS_PROPERTY = "sagestudio.devicePath.queueRuns";

    /** As {@link #resolve(String, boolean)} with the GPU opened by {@code gpu} and no device path (tests). */
    static AttentionChoice resolve(String name, boolean allowCpuFallback, Supplier<GpuBackends> gpu) {
        return resolve(name, allowCpuFallback, gpu, backend -> {
            throw new OrtRuntimeException("no device path in this configuration");
        });
    }

    /** As {@link #resolve(String, boolean)} with the GPU opened by {@code gpu} and the device path by {@code device}. */
    static AttentionChoice resolve(String name, boolean allowCpuFallback, Supplier<GpuBackends> gpu,
                                   DevicePathOpener device) {
        Objects.requireNonNull(name, "backend name");
        BackendCatalog catalog = BackendCatalog.standard();
        BackendDescriptor requested = catalog.require(name);
        if (requested.runsInOnnxRuntime()) {
            return new AttentionChoice(name, null, Optional.empty(), Optional.empty(), Optional.empty(), null);
        }
        if (!requested.isGpu()) {
            return new AttentionChoice(name, requested.createCpu(), Optional.empty(), Optional.empty(),
                    Optional.empty(), null);
        }
        String cpuName = requested.cpuCounterpart().orElseThrow();
        String whyNot;
        try {
            String whyNoDevicePath;
            try {
                DeviceOnnxPath path = device.open(requested);
                return new AttentionChoice(name, path.backend(), Optional.empty(), Optional.of(name + " on "
                        + path.deviceName() + ": " + ZERO_COPY), Optional.of(path), path);
            } catch (OrtRuntimeException e) {
                whyNoDevicePath = e.getMessage();
            }
            GpuBackends backends = gpu.get();
            try {
                AttentionBackend backend = requested.createOn(backends);
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
        return new AttentionChoice(name, catalog.require(cpuName).createCpu(), Optional.of(name
                + " ran on the CPU as " + cpuName + " because the GPU cannot be used: " + whyNot), Optional.empty(),
                Optional.empty(), null);
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
}
