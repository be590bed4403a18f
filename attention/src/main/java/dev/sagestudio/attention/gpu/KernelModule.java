package dev.sagestudio.attention.gpu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * The attention kernels of this build: one fatbin resource (SASS per architecture plus PTX), compiled by
 * nvcc during the Maven build and loaded with {@code cuModuleLoadData} into a {@link GpuContext}.
 */
public final class KernelModule {
    /** Classpath location of the fatbin the build writes. */
    public static final String FATBIN_RESOURCE = "/dev/sagestudio/attention/gpu/sagestudio_kernels.fatbin";
    /** Classpath location of the build's description of the fatbin (nvcc version, architectures, kernels). */
    public static final String MANIFEST_RESOURCE = "/dev/sagestudio/attention/gpu/sagestudio_kernels.json";

    static final String NO_KERNELS = "This build has no GPU kernels: nvcc was not found when it was built, so"
            + " the fatbin " + FATBIN_RESOURCE + " is missing. Install the CUDA toolkit 12.8 or newer (nvcc on the"
            + " PATH) and rebuild to use the GPU backends.";

    private final GpuContext context;
    private final CUmodule module;
    private final String manifest;
    private final Map<String, Entry> entries;
    private final Map<String, Kernel> kernels = new ConcurrentHashMap<>();

    /**
     * A kernel's launch shape as the build manifest lists it (see ABI.md). softmaxKeys: keys per online-softmax step
     * of an attention kernel (0 for the others); tileRows: query rows per CTA tile of a Hopper attention kernel (0 for
     * the others).
     */
    record Entry(String name, String params, int blockThreads, int dynamicSharedBytes, int minComputeCapability,
                 int softmaxKeys, int tileRows) {}

    private KernelModule(GpuContext context, CUmodule module, String manifest, Map<String, Entry> entries) {
        this.context = context;
        this.module = module;
        this.manifest = manifest;
        this.entries = entries;
    }

    /**
     * Reads the manifest's {@code entries}: name, params (the struct it takes), block, dynamic_smem, min_cc and, for
     * the quantized attention kernels, softmax_keys; for the Hopper attention kernels tile_rows.
     */
    static Map<String, Entry> parseEntries(String manifestJson) {
        Map<String, Entry> entries = new HashMap<>();
        try {
            JsonNode root = new ObjectMapper().readTree(manifestJson);
            for (JsonNode entry : root.path("entries")) {
                String name = entry.path("name").asText("");
                if (name.isEmpty() || !entry.has("params") || !entry.has("block") || !entry.has("dynamic_smem")) {
                    throw new IllegalStateException("kernel manifest entry lacks name/params/block/dynamic_smem: "
                            + entry);
                }
                entries.put(name, new Entry(name, entry.get("params").asText(), entry.get("block").asInt(),
                        entry.get("dynamic_smem").asInt(), entry.path("min_cc").asInt(0),
                        entry.path("softmax_keys").asInt(0), entry.path("tile_rows").asInt(0)));
            }
        } catch (IOException e) {
            throw new IllegalStateException("the kernel manifest " + MANIFEST_RESOURCE + " is not valid JSON: "
                    + e.getMessage(), e);
        }
        return entries;
    }

    /** Whether this build carries the kernel fatbin at all (no GPU needed to ask). */
    public static boolean isBundled() {
        return KernelModule.class.getResource(FATBIN_RESOURCE) != null;
    }

    /** Why this build cannot run kernels on any GPU, or empty if it carries them. */
    public static Optional<String> missingReason() {
        return isBundled() ? Optional.empty() : Optional.of(NO_KERNELS);
    }

    /** The build manifest's text (JSON), or empty if the build wrote none. */
    public static Optional<String> bundledManifest() {
        return readResource(MANIFEST_RESOURCE).map(bytes -> new String(bytes, StandardCharsets.UTF_8));
    }

    static KernelModule load(GpuContext context) {
        byte[] fatbin = readResource(FATBIN_RESOURCE).orElseThrow(() -> new GpuUnavailableException(NO_KERNELS));
        String manifest = bundledManifest().orElse("{}");
        List<String> layout = KernelParams.layoutMismatches(manifest);
        if (!layout.isEmpty()) {
            throw new GpuUnavailableException("Cannot use the GPU kernels: their parameter structs differ from the"
                    + " Java packing (KernelParams), a build out of step: " + String.join("; ", layout)
                    + GpuStatus.CPU_STILL_WORKS);
        }
        CUmodule module = new CUmodule();
        int result = JCudaDriver.cuModuleLoadData(module, fatbin);
        if (result != CUresult.CUDA_SUCCESS) {
            DeviceInfo device = context.device();
            String why = switch (result) {
                case CUresult.CUDA_ERROR_NO_BINARY_FOR_GPU, CUresult.CUDA_ERROR_INVALID_SOURCE ->
                        "the kernels in this build hold no code for " + device.name() + " (sm_"
                                + device.smArchitecture() + "). Build manifest: " + manifest;
                case CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION ->
                        "the kernels were compiled by a CUDA toolkit newer than this driver (CUDA "
                                + GpuStatus.formatCudaVersion(device.driverVersion())
                                + ") can compile for sm_" + device.smArchitecture()
                                + "; update the NVIDIA driver. Build manifest: " + manifest;
                default -> "cuModuleLoadData failed: " + new CudaException("cuModuleLoadData(" + fatbin.length
                        + "-byte fatbin)", result).getMessage();
            };
            throw new GpuUnavailableException("Cannot load the GPU kernels: " + why
                    + GpuStatus.CPU_STILL_WORKS, new CudaException("cuModuleLoadData", result));
        }
        return new KernelModule(context, module, manifest, parseEntries(manifest));
    }

    private static Optional<byte[]> readResource(String name) {
        try (InputStream in = KernelModule.class.getResourceAsStream(name)) {
            return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + name, e);
        }
    }

    /** The build manifest this module was loaded with (JSON text; {@code {}} if the build wrote none). */
    public String manifest() {
        return manifest;
    }

    /** The kernel {@code name} (its {@code extern "C"} symbol). */
    public Kernel kernel(String name) {
        return kernels.computeIfAbsent(name, n -> {
            Entry entry = entries.get(n);
            if (entry == null) {
                throw new IllegalStateException("the kernel manifest lists no entry '" + n + "'; this build's"
                        + " kernels and Java code disagree about ABI.md");
            }
            context.makeCurrent();
            CUfunction function = new CUfunction();
            Cuda.check(JCudaDriver.cuModuleGetFunction(function, module, n), "cuModuleGetFunction(" + n + ")");
            return new Kernel(context, entry, function);
        });
    }

    /** Whether the module holds a kernel named {@code name}. */
    public boolean hasKernel(String name) {
        if (kernels.containsKey(name)) {
            return true;
        }
        context.makeCurrent();
        return JCudaDriver.cuModuleGetFunction(new CUfunction(), module, name) == CUresult.CUDA_SUCCESS;
    }

    void unload() {
        kernels.clear();
        Cuda.check(JCudaDriver.cuModuleUnload(module), "cuModuleUnload");
    }
}
