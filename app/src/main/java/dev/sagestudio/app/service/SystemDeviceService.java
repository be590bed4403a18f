package dev.sagestudio.app.service;

import dev.sagestudio.app.doctor.GpuPathCheck;
import dev.sagestudio.attention.gpu.DeviceInfo;
import dev.sagestudio.attention.gpu.GpuContext;
import dev.sagestudio.attention.gpu.GpuStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * The device report from the real machine: what {@code sagestudio doctor} finds ({@link GpuPathCheck}: the driver
 * against the version required, the GPU, this build's kernels, the CUDA libraries and whether ONNX Runtime's CUDA EP
 * starts), the memory figures, and the CPU. The check runs once (it loads libraries and the kernels); the memory
 * figures are read on every probe through one GPU context kept open once a GPU is found.
 */
public final class SystemDeviceService implements DeviceService, AutoCloseable {
    private static final double GIB = 1024.0 * 1024 * 1024;

    private final GpuPathCheck.Machine machine;
    private final Function<DeviceInfo, String> memory;
    private GpuPathCheck.Report check;
    private GpuContext context;

    public SystemDeviceService() {
        this.machine = GpuPathCheck.localMachine();
        this.memory = this::gpuMemory;
    }

    /** Over {@code machine}, with the memory figures of a device read by {@code memory} (tests pose as machines). */
    SystemDeviceService(GpuPathCheck.Machine machine, Function<DeviceInfo, String> memory) {
        this.machine = machine;
        this.memory = memory;
    }

    @Override
    public synchronized DeviceReport probe() {
        if (check == null) {
            check = new GpuPathCheck(machine).check();
        }
        GpuStatus status = machine.gpu();
        List<DeviceReport.Fact> facts = new ArrayList<>();
        boolean gpu = status.available() && !status.devices().isEmpty();
        if (gpu) {
            DeviceInfo device = status.devices().get(0);
            facts.add(new DeviceReport.Fact("GPU", device.name()));
            facts.add(new DeviceReport.Fact("Compute capability", device.computeCapability() + " (sm_"
                    + device.smArchitecture() + ", " + device.multiprocessors() + " SMs)"));
            facts.add(new DeviceReport.Fact("Memory", memory.apply(device)));
        } else {
            facts.add(new DeviceReport.Fact("GPU", "none usable"));
        }
        facts.add(new DeviceReport.Fact("CPU threads", Runtime.getRuntime().availableProcessors() + " available"));
        List<String> toDo = new ArrayList<>();
        if (!gpu) {
            toDo.add(status.message());
        }
        if (!check.advice().isEmpty()) {
            toDo.add(check.advice());
        }
        return new DeviceReport(gpu, check.headline(), facts, check.requirements(),
                toDo.isEmpty() ? Optional.empty() : Optional.of(String.join("\n", toDo)));
    }

    private String gpuMemory(DeviceInfo gpu) {
        try {
            if (context == null) {
                context = GpuContext.open(gpu.ordinal());
            }
            GpuContext.MemoryInfo m = context.memoryInfo();
            return String.format(Locale.ROOT, "%.1f GiB used, %.1f GiB free of %.1f GiB",
                    (m.totalBytes() - m.freeBytes()) / GIB, m.freeBytes() / GIB, m.totalBytes() / GIB);
        } catch (RuntimeException e) {
            return String.format(Locale.ROOT, "%.1f GiB in all (free memory unknown: %s)",
                    gpu.totalMemoryBytes() / GIB, e.getMessage());
        }
    }

    @Override
    public synchronized void close() {
        if (context != null) {
            context.close();
            context = null;
        }
    }
}
