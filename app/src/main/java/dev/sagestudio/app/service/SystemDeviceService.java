package dev.sagestudio.app.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sagestudio.attention.gpu.DeviceInfo;
import dev.sagestudio.attention.gpu.GpuContext;
import dev.sagestudio.attention.gpu.GpuStatus;
import dev.sagestudio.attention.gpu.KernelModule;
import dev.sagestudio.models.runtime.OrtRuntime;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The device report from the real machine: the driver probe ({@link GpuStatus}), this build's kernel manifest, whether
 * ONNX Runtime's CUDA EP starts, and the CPU. Keeps one GPU context open for the memory figures once a GPU is found.
 */
public final class SystemDeviceService implements DeviceService, AutoCloseable {
    private GpuContext context;
    private String cudaEp;

    @Override
    public synchronized DeviceReport probe() {
        GpuStatus status = GpuStatus.probe();
        List<DeviceReport.Fact> facts = new ArrayList<>();
        Optional<String> whatToDo = Optional.empty();
        String summary;
        if (status.available()) {
            DeviceInfo gpu = status.devices().get(0);
            summary = gpu.name();
            facts.add(new DeviceReport.Fact("GPU", gpu.name()));
            facts.add(new DeviceReport.Fact("Driver", "CUDA " + GpuStatus.formatCudaVersion(status.driverVersion())));
            facts.add(new DeviceReport.Fact("Compute capability", gpu.computeCapability() + " (sm_"
                    + gpu.smArchitecture() + ", " + gpu.multiprocessors() + " SMs)"));
            facts.add(new DeviceReport.Fact("Memory", memory(gpu)));
        } else {
            summary = "No usable NVIDIA GPU: generation runs on the CPU";
            facts.add(new DeviceReport.Fact("GPU", "none usable"));
            whatToDo = Optional.of(status.message());
        }
        facts.add(new DeviceReport.Fact("Kernels in this build", kernels()));
        facts.add(new DeviceReport.Fact("ONNX Runtime CUDA EP", cudaEp()));
        facts.add(new DeviceReport.Fact("CPU threads", Runtime.getRuntime().availableProcessors() + " available"));
        return new DeviceReport(status.available(), summary, facts, whatToDo);
    }

    private String memory(DeviceInfo gpu) {
        try {
            if (context == null) {
                context = GpuContext.open();
            }
            GpuContext.MemoryInfo m = context.memoryInfo();
            return String.format(Locale.ROOT, "%.1f GiB used, %.1f GiB free of %.1f GiB",
                    (m.totalBytes() - m.freeBytes()) / GIB, m.freeBytes() / GIB, m.totalBytes() / GIB);
        } catch (RuntimeException e) {
            return String.format(Locale.ROOT, "%.1f GiB in all (free memory unknown: %s)",
                    gpu.totalMemoryBytes() / GIB, e.getMessage());
        }
    }

    private static final double GIB = 1024.0 * 1024 * 1024;

    static String kernels() {
        Optional<String> missing = KernelModule.missingReason();
        if (missing.isPresent()) {
            return missing.get();
        }
        return KernelModule.bundledManifest().map(SystemDeviceService::describeManifest)
                .orElse("bundled (no manifest)");
    }

    static String describeManifest(String manifestJson) {
        try {
            JsonNode root = new ObjectMapper().readTree(manifestJson);
            List<String> names = new ArrayList<>();
            root.path("entries").forEach(e -> names.add(e.path("name").asText()));
            String archs = root.has("archs") ? " for " + root.get("archs") : "";
            return names.size() + " kernels" + archs + ": " + String.join(", ", names);
        } catch (IOException e) {
            return "bundled (manifest unreadable: " + e.getMessage() + ")";
        }
    }

    /** Whether ONNX Runtime's CUDA EP starts here; asked once (the answer does not change while the app runs). */
    private String cudaEp() {
        if (cudaEp == null) {
            try (OrtRuntime runtime = OrtRuntime.cudaOrCpu(0, 0)) {
                cudaEp = runtime.fallbackReason().map(r -> "not available: " + r)
                        .orElse("available (the zero-copy device path can run)");
            } catch (RuntimeException | LinkageError e) {
                cudaEp = "not available: " + e.getMessage();
            }
        }
        return cudaEp;
    }

    @Override
    public synchronized void close() {
        if (context != null) {
            context.close();
            context = null;
        }
    }
}
