package dev.sagestudio.models.runtime;

import dev.sagestudio.models.onnx.proto.Onnx.ModelProto;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.onnxruntime.ArenaCfg;
import org.bytedeco.onnxruntime.MemoryInfo;
import org.bytedeco.onnxruntime.Env;
import org.bytedeco.onnxruntime.OrtCUDAProviderOptions;
import org.bytedeco.onnxruntime.Session;
import org.bytedeco.onnxruntime.SessionOptions;
import org.bytedeco.onnxruntime.StringStringMap;
import org.bytedeco.onnxruntime.global.onnxruntime;

/**
 * ONNX Runtime through the bytedeco binding: one environment, and sessions created with the
 * chosen execution provider. Asking for CUDA where the CUDA EP cannot start gives a CPU runtime
 * whose {@link #fallbackReason()} names what was missing — never a silent switch.
 */
public final class OrtRuntime implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(OrtRuntime.class.getName());
    private static Env env;
    private static OrtLog log;
    private static MemoryInfo hostMemory;
    /**
     * Per allocator registered in the environment ({@code cpu}, {@code cuda:N} arenas, {@code cuda-pinned:N}): how many
     * open runtimes share it. The last one to close unregisters it; sessions still open keep it alive until they close.
     */
    private static final Map<String, Integer> sharedArenaUsers = new HashMap<>();
    /**
     * ONNX Runtime's {@code ArenaExtendStrategy::kSameAsRequested}: each extension of the shared arena is a region of
     * exactly the request. Measured on the H100 (2026-12-06, Wan 2.1 at 81 frames, pipelined): the arena reserved
     * 57.6 GiB (device peak 62.1) with it and 65.0 GiB (peak 69.5) with kNextPowerOfTwo, while it never held more than
     * ~5 GiB at once. Why it reserves ten times what it holds is not settled (regions never merge; the CUDA EP's arena
     * hands a freed block only to the ONNX Runtime stream object that freed it until that run's clean-up).
     */
    private static final int ARENA_GROWS_AS_REQUESTED = 1;
    /** ORT_LOGGING_LEVEL_INFO. */
    private static final int INFO_SEVERITY = 1;

    private final ExecutionProvider provider;
    private final int threads;
    private final int cudaDevice;
    private final Optional<String> fallbackReason;
    /** The CUstream the CUDA EP computes on (0: ONNX Runtime creates its own). */
    private final long cudaStream;
    /** Where each session's optimized graph is saved (for counting ORT's own copies), or null. */
    private java.nio.file.Path optimizedModelFolder;
    private int sessionsOpened;
    private java.nio.file.Path profileFolder;
    private int sessionsProfiled;
    /** ONNX Runtime's {@code memory.enable_memory_arena_shrinkage} run option for this runtime's sessions, or null. */
    private String arenaShrinkage;
    /** Whether sessions' runs return once queued on the stream ({@link #queueRunsWithoutWaiting}). */
    private boolean queueOnly;
    /** Whether this runtime holds a share of the environment's plain pinned allocator ({@link #sharePinnedMemory}). */
    private boolean sharedPinned;
    /**
     * Run before a queue-only session closes: a wait for the stream, so that no queued kernel of the session still
     * reads or writes its memory when it goes. It does not stop ONNX Runtime's "CUDA failure 800 … cudaFreeHost" abort
     * (measured on the H100, 2026-12-06): that host function is queued while the session is destroyed, after this
     * wait ({@link #sharePinnedMemory} is what addresses it).
     */
    private Runnable waitBeforeClosing;
    /** Whether this runtime's sessions allocate from the environment's arena ({@code session.use_env_allocators}). */
    private boolean sharedArena;

    private OrtRuntime(ExecutionProvider provider, int threads, int cudaDevice, Optional<String> fallbackReason) {
        this(provider, threads, cudaDevice, 0, fallbackReason);
    }

    private OrtRuntime(ExecutionProvider provider, int threads, int cudaDevice, long cudaStream,
                       Optional<String> fallbackReason) {
        this.provider = provider;
        this.threads = ThreadLimit.check(threads);
        this.cudaDevice = cudaDevice;
        this.cudaStream = cudaStream;
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
        try (SessionOptions options = new SessionOptions(); OrtCUDAProviderOptions cuda = cudaOptions(device, 0)) {
            options.AppendExecutionProvider_CUDA(cuda);
            return new OrtRuntime(ExecutionProvider.CUDA, threads, device, Optional.empty());
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            String reason = cudaFailure(device, e, log.since(mark)) + "; running ONNX Runtime on the CPU instead";
            return new OrtRuntime(ExecutionProvider.CPU, threads, -1, Optional.of(reason));
        }
    }

    /**
     * A runtime whose CUDA EP runs on device {@code device} in its primary context and queues all its
     * work on {@code stream} (a raw {@code CUstream} of that context, e.g. {@code CudaStream.rawHandle()};
     * 0 lets ONNX Runtime create its own), so our kernels and ONNX Runtime's are ordered on one stream.
     *
     * @throws OrtRuntimeException if the CUDA EP cannot be started here, naming what failed
     */
    public static OrtRuntime cuda(int device, long stream, int threads) {
        environment();
        long mark = log.mark();
        try (SessionOptions options = new SessionOptions(); OrtCUDAProviderOptions cuda = cudaOptions(device, stream)) {
            options.AppendExecutionProvider_CUDA(cuda);
            return new OrtRuntime(ExecutionProvider.CUDA, threads, device, stream, Optional.empty());
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            throw new OrtRuntimeException(cudaFailure(device, e, log.since(mark)), e);
        }
    }

    private static String cudaFailure(int device, Throwable e, List<String> logged) {
        return "ONNX Runtime's CUDA execution provider could not be started on device " + device + ": "
                + e.getMessage() + quoted(logged) + " (it needs the org.bytedeco:onnxruntime linux-x86_64-gpu natives, build with"
                + " -Donnxruntime.classifier=linux-x86_64-gpu, an NVIDIA driver, and cuBLAS/cuBLASLt 13, cuFFT 12"
                + " (CUDA 13) and cuDNN 9 on the library path)";
    }

    /** What ONNX Runtime logged about a failure, to append to our message ("" if nothing). */
    private static String quoted(List<String> logged) {
        return logged.isEmpty() ? "" : " [ONNX Runtime: " + String.join(" | ", logged) + "]";
    }

    /**
     * The CUDA EP's options: {@code device_id}, and with a non-zero {@code stream}
     * {@code has_user_compute_stream = 1} and {@code user_compute_stream = stream}. The caller closes them.
     */
    static OrtCUDAProviderOptions cudaOptions(int device, long stream) {
        if (device < 0) {
            throw new IllegalArgumentException("CUDA device ordinals start at 0, got " + device);
        }
        OrtCUDAProviderOptions cuda = new OrtCUDAProviderOptions();
        cuda.device_id(device);
        if (stream != 0) {
            cuda.has_user_compute_stream(1);
            cuda.user_compute_stream(NativeAddress.of(stream, 0));
        }
        return cuda;
    }

    /**
     * ONNX Runtime's description of CUDA device memory ({@code "Cuda"}, device allocator, default
     * memory type): outputs bound with it are allocated on the GPU, and tensors we create over our own
     * device buffers carry it so ONNX Runtime reads them there.
     */
    public static MemoryInfo cudaMemory(int device) {
        environment();
        return new MemoryInfo("Cuda", onnxruntime.OrtDeviceAllocator, device, onnxruntime.OrtMemTypeDefault);
    }

    /**
     * Saves the graph ONNX Runtime actually runs for every session opened from now on into
     * {@code folder} (as {@code session-N.onnx}), where the copies it inserts between devices appear
     * as {@code MemcpyToHost}/{@code MemcpyFromHost} nodes (see {@link OptimizedGraphs}).
     */
    public synchronized OrtRuntime saveOptimizedModelsIn(java.nio.file.Path folder) {
        this.optimizedModelFolder = folder;
        return this;
    }

    /**
     * Every session opened from now on records ONNX Runtime's own profile (each node's kernel time and the execution
     * provider that ran it) into {@code folder}, as {@code profile-N_<date>.json} in Chrome's trace format, written when
     * the session closes: where a graph's time goes inside ONNX Runtime, which our step figures cannot show.
     */
    public synchronized OrtRuntime profileSessionsIn(java.nio.file.Path folder) {
        this.profileFolder = folder;
        return this;
    }

    /**
     * Every session opened from now on returns from a run once its kernels are queued on this runtime's CUDA stream
     * ({@code disable_synchronize_execution_providers}) instead of waiting for them: the CPU prepares the next segment
     * and its attention call while the GPU still computes, as ONNX Runtime alone does within its one session. Only
     * for the device path, where attention kernels, copies and the next segments all work on that same stream, in
     * order; a copy to the host waits for everything before it.
     */
    public synchronized OrtRuntime queueRunsWithoutWaiting(Runnable waitForStream) {
        queueRuns(waitForStream, false);
        return this;
    }

    /**
     * As {@link #queueRunsWithoutWaiting}, only where ONNX Runtime took the shared plain pinned allocator
     * ({@link #sharePinnedMemory}): without it a queue-only session's close can abort the whole process, so runs keep
     * waiting then (with a warning). True if runs are queued from now on.
     */
    public synchronized boolean queueRunsWithoutWaitingWhereSafe(Runnable waitForStream) {
        return queueRuns(waitForStream, true);
    }

    private boolean queueRuns(Runnable waitForStream, boolean onlyWithSharedPinnedMemory) {
        if (provider != ExecutionProvider.CUDA || cudaStream == 0) {
            throw new IllegalStateException("runs may skip the wait only on the CUDA EP with our own stream, where every"
                    + " reader of a segment's outputs works on that stream");
        }
        Objects.requireNonNull(waitForStream, "waitForStream");
        if (!sharedPinned) {
            sharedPinned = sharePinnedMemory(cudaDevice);
        }
        if (onlyWithSharedPinnedMemory && !sharedPinned) {
            LOG.log(System.Logger.Level.WARNING, "ONNX Runtime's runs keep waiting for the stream: without the shared"
                    + " pinned allocator a session whose runs were queued can abort the process when it closes");
            return false;
        }
        this.queueOnly = true;
        this.waitBeforeClosing = waitForStream;
        return true;
    }

    /**
     * Registers with the environment a plain (not arena) CUDA pinned-memory allocator that this device's sessions then
     * use instead of each CUDA EP's own pinned arena; true if ONNX Runtime took it. Why: a queue-only run leaves the
     * pinned buffers its kernels used for ONNX Runtime to release later, and with an arena ONNX Runtime queues that
     * release as a host function on the stream holding a reference to the arena; when the session is closed before it
     * runs, the function destroys the arena inside the callback, where {@code cudaFreeHost} is refused (error 800) and
     * ONNX Runtime aborts the process. With a plain allocator ONNX Runtime waits for the stream and frees the buffers
     * itself instead, and the environment keeps the allocator alive. For host-accessible memory ONNX Runtime's
     * {@code CreateAndRegisterAllocatorV2} always makes the plain CUDA pinned allocator (its environment.cc); that
     * cannot be read back: {@code GetSharedAllocator} lists only allocators given through {@code RegisterAllocator}
     * and hands back an empty one for this (reading it crashed the JVM on the H100, 2026-12-06). If the registration
     * fails, queue-only runs go on as before, with a warning.
     */
    private static synchronized boolean sharePinnedMemory(int device) {
        String key = "cuda-pinned:" + device;
        int users = sharedArenaUsers.getOrDefault(key, 0);
        if (users == 0) {
            long mark = log.mark();
            try (MemoryInfo pinned = cudaPinnedMemory(device);
                 ArenaCfg unused = new ArenaCfg(0, ARENA_GROWS_AS_REQUESTED, -1, -1)) {
                registerWithTheCudaProvider(pinned, device, unused);
            } catch (RuntimeException | UnsatisfiedLinkError e) {
                LOG.log(System.Logger.Level.WARNING, "queue-only runs keep each session's pinned arena: ONNX Runtime"
                        + " could not register a shared pinned allocator: " + e.getMessage() + quoted(log.since(mark)));
                return false;
            }
        }
        sharedArenaUsers.put(key, users + 1);
        return true;
    }

    private static synchronized void releasePinnedMemory(int device) {
        if (!lastUserLeaves("cuda-pinned:" + device)) {
            return;
        }
        try (MemoryInfo pinned = cudaPinnedMemory(device)) {
            env.UnregisterAllocator(pinned.asOrtMemoryInfo());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "ONNX Runtime could not unregister the shared pinned allocator: "
                    + e.getMessage());
        }
    }

    /** One runtime fewer shares the allocator registered under {@code key}; true if it was the last. */
    private static boolean lastUserLeaves(String key) {
        int users = sharedArenaUsers.get(key) - 1;
        if (users > 0) {
            sharedArenaUsers.put(key, users);
            return false;
        }
        sharedArenaUsers.remove(key);
        return true;
    }

    private static MemoryInfo cudaPinnedMemory(int device) {
        return new MemoryInfo("CudaPinned", onnxruntime.OrtDeviceAllocator, device, onnxruntime.OrtMemTypeCPUOutput);
    }

    /**
     * Whether ONNX Runtime said, while it created a session, that it put copies between the host and the device into
     * the graph (its "N Memcpy nodes are added to the graph" warning): nodes it runs on the host (shape arithmetic)
     * between nodes on the CUDA EP.
     */
    static boolean copiesThroughTheHost(List<String> logged) {
        return logged.stream().anyMatch(m -> m.contains("Memcpy nodes are added to the graph"));
    }

    /** Whether this runtime's sessions take pinned memory from the environment's plain allocator (queue-only runs). */
    public synchronized boolean sharesPinnedMemory() {
        return sharedPinned;
    }

    /** Whether sessions opened now return from a run once it is queued ({@link #queueRunsWithoutWaiting}). */
    public synchronized boolean queuesRunsWithoutWaiting() {
        return queueOnly;
    }

    /**
     * Every session opened from now on hands the memory its arena does not hold for a live tensor back at the end of
     * each run (ONNX Runtime's {@code memory.enable_memory_arena_shrinkage}, for this runtime's device): each session
     * has its own arena, which otherwise keeps the most its segment ever needed, summed over all segments. Costs new
     * allocations in every run.
     */
    public synchronized OrtRuntime shrinkArenasAfterEachRun() {
        this.arenaShrinkage = provider == ExecutionProvider.CUDA ? "gpu:" + cudaDevice : "cpu:0";
        return this;
    }

    /**
     * Every session opened from now on allocates this runtime's device memory (host memory on the CPU) from ONE arena
     * registered with ONNX Runtime's environment instead of an arena of its own ({@code CreateAndRegisterAllocator} for
     * the CPU, {@code CreateAndRegisterAllocatorV2("CUDAExecutionProvider", …)} for CUDA, and the session config entry
     * {@code session.use_env_allocators = 1}): a partitioned model's segments then reuse one another's freed blocks the
     * way ONNX Runtime alone reuses them within its one session. All sharing runtimes of one device use the same
     * arena; it grows by what is asked (no limit but the device's) and keeps what it grew to until the last of them is
     * {@link #close() closed} and every session that used it too. Checked on the CPU EP by a test and on an H100 (the Wan 81-frame step: 62 GiB peak instead of not fitting).
     *
     * @throws OrtRuntimeException if ONNX Runtime cannot create the arena (e.g. the CUDA EP's libraries are missing)
     */
    public synchronized OrtRuntime shareOneArena() {
        if (!sharedArena) {
            registerSharedArena(provider, cudaDevice);
            this.sharedArena = true;
        }
        return this;
    }

    private static String arenaKey(ExecutionProvider provider, int device) {
        return provider == ExecutionProvider.CUDA ? "cuda:" + device : "cpu";
    }

    private static synchronized void registerSharedArena(ExecutionProvider provider, int device) {
        String key = arenaKey(provider, device);
        int users = sharedArenaUsers.getOrDefault(key, 0);
        if (users == 0) {
            long mark = log.mark();
            try (ArenaCfg arena = new ArenaCfg(0, ARENA_GROWS_AS_REQUESTED, -1, -1)) {
                if (provider == ExecutionProvider.CUDA) {
                    try (MemoryInfo memory = cudaArenaMemory(device)) {
                        registerWithTheCudaProvider(memory, device, arena);
                    }
                } else {
                    env.CreateAndRegisterAllocator(hostMemory().asOrtMemoryInfo(), arena.asOrtArenaCfg());
                }
            } catch (RuntimeException | UnsatisfiedLinkError e) {
                throw new OrtRuntimeException("ONNX Runtime could not create the shared " + key + " arena: "
                        + e.getMessage() + quoted(log.since(mark)), e);
            }
        }
        sharedArenaUsers.put(key, users + 1);
    }

    /** Registers an allocator for {@code memory} on CUDA device {@code device} through the CUDA EP. */
    private static void registerWithTheCudaProvider(MemoryInfo memory, int device, ArenaCfg arena) {
        try (StringStringMap options = new StringStringMap();
             BytePointer name = new BytePointer("device_id");
             BytePointer value = new BytePointer(Integer.toString(device))) {
            options.put(name, value);
            env.CreateAndRegisterAllocatorV2("CUDAExecutionProvider", memory.asOrtMemoryInfo(), options,
                    arena.asOrtArenaCfg());
        }
    }

    private static synchronized void releaseSharedArena(ExecutionProvider provider, int device) {
        String key = arenaKey(provider, device);
        if (!lastUserLeaves(key)) {
            return;
        }
        try {
            if (provider == ExecutionProvider.CUDA) {
                try (MemoryInfo memory = cudaArenaMemory(device)) {
                    env.UnregisterAllocator(memory.asOrtMemoryInfo());
                }
            } else {
                env.UnregisterAllocator(hostMemory().asOrtMemoryInfo());
            }
        } catch (RuntimeException e) {
            // Closing must not fail over this: the arena then stays registered (and its memory held) until the process ends.
            LOG.log(System.Logger.Level.WARNING, "ONNX Runtime could not unregister the shared " + key + " arena: "
                    + e.getMessage());
        }
    }

    private static MemoryInfo cudaArenaMemory(int device) {
        return new MemoryInfo("Cuda", onnxruntime.OrtArenaAllocator, device, onnxruntime.OrtMemTypeDefault);
    }

    /** Whether sessions opened now allocate from the environment's shared arena ({@link #shareOneArena()}). */
    public synchronized boolean sharesOneArena() {
        return sharedArena;
    }

    /** The statistics of the allocator {@code session} computes with: this runtime's device memory's, or the host's. */
    Map<String, String> computeAllocatorStats(OrtSessionRunner session) {
        if (provider != ExecutionProvider.CUDA) {
            return session.allocatorStats(hostMemory());
        }
        try (MemoryInfo memory = cudaMemory(cudaDevice)) {
            return session.allocatorStats(memory);
        }
    }

    /** The CUstream the CUDA EP was given, 0 if none (CPU runtime, or ORT's own stream). */
    public long cudaStream() {
        return cudaStream;
    }

    /** The CUDA device of a CUDA runtime, -1 for a CPU runtime. */
    public int cudaDevice() {
        return cudaDevice;
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
                try (OrtCUDAProviderOptions cuda = cudaOptions(cudaDevice, cudaStream)) {
                    options.AppendExecutionProvider_CUDA(cuda);
                }
                // Informational messages while the session is created: which operators the CUDA EP left to the CPU
                // and where copy nodes went (OrtLog keeps only those). Runs log warnings only (runOptions).
                options.SetLogSeverityLevel(INFO_SEVERITY);
            }
            String shrinkage;
            boolean queue;
            Runnable beforeClosing;
            synchronized (this) {
                shrinkage = arenaShrinkage;
                queue = queueOnly;
                beforeClosing = waitBeforeClosing;
                if (sharedArena || sharedPinned) {
                    options.AddConfigEntry("session.use_env_allocators", "1");
                }
                if (profileFolder != null) {
                    java.nio.file.Files.createDirectories(profileFolder);
                    options.EnableProfiling(new BytePointer(
                            profileFolder.resolve("profile-" + (++sessionsProfiled)).toString()));
                }
                if (optimizedModelFolder != null) {
                    java.nio.file.Files.createDirectories(optimizedModelFolder);
                    options.SetOptimizedModelFilePath(new BytePointer(
                            optimizedModelFolder.resolve("session-" + (++sessionsOpened) + ".onnx").toString()));
                }
            }
            long mark = log.mark();
            Session session = new Session(env, data, bytes.length, options);
            boolean hostCopies = provider == ExecutionProvider.CUDA && copiesThroughTheHost(log.since(mark));
            List<String> causes = hostCopies ? log.hostCopyCausesSince(mark) : List.of();
            // A run that copies through the host leaves pinned buffers whose release, when it does not wait, is queued
            // as a host function; one queued as the session is destroyed may free the session's pinned arena inside
            // that function, which the CUDA runtime refuses (docs/onnx-runtime.md). Such a session's runs wait.
            return new OrtSessionRunner(session, what, shrinkage, queue && !hostCopies, beforeClosing, hostCopies,
                    causes);
        } catch (RuntimeException e) {
            throw new OrtRuntimeException("ONNX Runtime could not load " + what + ": " + e.getMessage(), e);
        } catch (java.io.IOException e) {
            throw new OrtRuntimeException("cannot create the folder for optimized graphs or profiles: " + e.getMessage(), e);
        } finally {
            data.close();
            options.close();
        }
    }

    /**
     * The environment is process-wide and lives as long as the process; sessions are closed by their owners. A runtime
     * that {@link #shareOneArena() shares the arena} gives up its share: the last one unregisters it.
     */
    @Override
    public synchronized void close() {
        if (sharedArena) {
            sharedArena = false;
            releaseSharedArena(provider, cudaDevice);
        }
        if (sharedPinned) {
            sharedPinned = false;
            releasePinnedMemory(cudaDevice);
        }
    }
}
