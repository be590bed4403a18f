package dev.sagestudio.models.runtime;

import dev.sagestudio.models.onnx.proto.Onnx.ModelProto;
import java.util.List;
import java.util.Optional;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.onnxruntime.MemoryInfo;
import org.bytedeco.onnxruntime.Env;
import org.bytedeco.onnxruntime.OrtCUDAProviderOptions;
import org.bytedeco.onnxruntime.Session;
import org.bytedeco.onnxruntime.SessionOptions;
import org.bytedeco.onnxruntime.global.onnxruntime;

/**
 * ONNX Runtime through the bytedeco binding: one environment, and sessions created with the
 * chosen execution provider. Asking for CUDA where the CUDA EP cannot start gives a CPU runtime
 * whose {@link #fallbackReason()} names what was missing — never a silent switch.
 */
public final class OrtRuntime implements AutoCloseable {
    private static Env env;
    private static OrtLog log;
    private static MemoryInfo hostMemory;

    private final ExecutionProvider provider;
    private final int threads;
    private final int cudaDevice;
    private final Optional<String> fallbackReason;

    private OrtRuntime(ExecutionProvider provider, int threads, int cudaDevice, Optional<String> fallbackReason) {
        this.provider = provider;
        this.threads = threads;
        this.cudaDevice = cudaDevice;
        this.fallbackReason = fallbackReason;
    }

    /** A CPU runtime; {@code threads} intra-op threads per session, 0 for ONNX Runtime's default. */
    public static OrtRuntime cpu(int threads) {
        environment();
        return new OrtRuntime(ExecutionProvider.CPU, threads, -1, Optional.empty());
    }

    /**
     * A runtime on CUDA device {@code device}, or, if the CUDA EP cannot be created here, a CPU
     * runtime that says why in {@link #fallbackReason()}.
     */
    public static OrtRuntime cudaOrCpu(int device, int threads) {
        environment();
        long mark = log.mark();
        try (SessionOptions options = new SessionOptions(); OrtCUDAProviderOptions cuda = new OrtCUDAProviderOptions()) {
            cuda.device_id(device);
            options.AppendExecutionProvider_CUDA(cuda);
            return new OrtRuntime(ExecutionProvider.CUDA, threads, device, Optional.empty());
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            List<String> logged = log.since(mark);
            String detail = logged.isEmpty() ? "" : " [ONNX Runtime: " + String.join(" | ", logged) + "]";
            String reason = "ONNX Runtime's CUDA execution provider could not be started on device " + device + ": "
                    + e.getMessage() + detail + " (it needs the org.bytedeco:onnxruntime linux-x86_64-gpu natives, build with"
                    + " -Donnxruntime.classifier=linux-x86_64-gpu, an NVIDIA driver, and cuBLAS/cuBLASLt 13, cuFFT 12"
                    + " (CUDA 13) and cuDNN 9 on the library path); running ONNX Runtime on the CPU instead";
            return new OrtRuntime(ExecutionProvider.CPU, threads, -1, Optional.of(reason));
        }
    }

    static synchronized Env environment() {
        if (env == null) {
            try {
                Loader.load(onnxruntime.class);
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                throw new OrtRuntimeException("ONNX Runtime's native libraries could not be loaded for platform "
                        + Loader.getPlatform() + ": " + e.getMessage() + " (the build ships org.bytedeco:onnxruntime"
                        + " natives for linux-x86_64 only)", e);
            }
            log = new OrtLog();
            env = new Env(onnxruntime.ORT_LOGGING_LEVEL_WARNING, "sagestudio", log, null);
        }
        return env;
    }

    static MemoryInfo cpuMemory() {
        environment();
        return MemoryInfo.CreateCpu(onnxruntime.OrtArenaAllocator, onnxruntime.OrtMemTypeDefault);
    }

    /**
     * Where segment outputs are allocated when a partitioned model runs. Host memory: on the CPU EP
     * that is where tensors live; on the CUDA EP it means ORT copies each segment output to the host
     * (the device-resident path that binds CUDA memory here is not implemented).
     */
    MemoryInfo outputMemory() {
        return hostMemory();
    }

    static synchronized MemoryInfo hostMemory() {
        if (hostMemory == null) {
            hostMemory = cpuMemory();
        }
        return hostMemory;
    }

    public ExecutionProvider provider() {
        return provider;
    }

    /** Why a CUDA request ended on the CPU, if it did. */
    public Optional<String> fallbackReason() {
        return fallbackReason;
    }

    /** A session for {@code model}; {@code what} names it in error messages. */
    public OrtSessionRunner open(ModelProto model, String what) {
        return open(model, null, what);
    }

    /**
     * A session for {@code model} whose external-data locations (already checked by
     * {@code OnnxModel}) are read by ONNX Runtime relative to {@code externalDataFolder}.
     */
    public OrtSessionRunner open(ModelProto model, java.nio.file.Path externalDataFolder, String what) {
        byte[] bytes = model.toByteArray();
        SessionOptions options = new SessionOptions();
        BytePointer data = new BytePointer(bytes);
        try {
            if (externalDataFolder != null) {
                options.AddConfigEntry("session.model_external_initializers_file_folder_path",
                        externalDataFolder.toString());
            }
            if (threads > 0) {
                options.SetIntraOpNumThreads(threads);
                options.SetInterOpNumThreads(1);
            }
            if (provider == ExecutionProvider.CUDA) {
                try (OrtCUDAProviderOptions cuda = new OrtCUDAProviderOptions()) {
                    cuda.device_id(cudaDevice);
                    options.AppendExecutionProvider_CUDA(cuda);
                }
            }
            Session session = new Session(env, data, bytes.length, options);
            return new OrtSessionRunner(session, what);
        } catch (RuntimeException e) {
            throw new OrtRuntimeException("ONNX Runtime could not load " + what + ": " + e.getMessage(), e);
        } finally {
            data.close();
            options.close();
        }
    }

    @Override
    public void close() {
        // The environment is process-wide and lives as long as the process; sessions are closed by their owners.
    }
}
