package dev.sagestudio.app.bench;

import dev.sagestudio.attention.bench.GpuBenchmark;
import dev.sagestudio.attention.catalog.BackendProbe;
import dev.sagestudio.attention.gpu.DeviceInfo;
import dev.sagestudio.attention.gpu.GpuStatus;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** Benchmark services of machines tests pose as, with few points so they run in seconds on the CPU. */
public final class TestMachines {

    public static final String NO_DRIVER = "No NVIDIA driver was found.";

    /** Two CPU backends, both head dims and causal settings, three short lengths, one run each. */
    public static final CpuAttentionBenchmark.Plan FEW_POINTS = new CpuAttentionBenchmark.Plan(
            List.of("cpu-reference", "cpu-sage-int8-fp16"), List.of(64, 128), List.of(32, 64, 128),
            List.of(false, true), 1, 1, 0, 1);

    private static final Function<List<String>, GpuBenchmark.Settings> GPU_DEFAULTS = GpuHarness::defaults;

    private TestMachines() {
    }

    public static BackendProbe noGpu() {
        return new BackendProbe(new GpuStatus(false, NO_DRIVER, 0, List.of()), Optional.empty(), Optional.empty());
    }

    /** A machine whose first GPU has compute capability {@code major.minor}, with this build's kernels. */
    public static BackendProbe gpu(String name, int major, int minor) {
        DeviceInfo device = new DeviceInfo(0, name, major, minor, 80L << 30, 132, 13000);
        return new BackendProbe(new GpuStatus(true, "1 CUDA device(s)", 13000, List.of(device)), Optional.empty(),
                Optional.empty());
    }

    /** This machine without a GPU: {@link #FEW_POINTS}, and a model generated with {@code modelBackends}. */
    public static MachineBenchmarkService cpuOnly(List<String> modelBackends) {
        return new MachineBenchmarkService(noGpu(), modelBackends, FEW_POINTS, GPU_DEFAULTS);
    }

    public static MachineBenchmarkService posingAs(BackendProbe probe) {
        return new MachineBenchmarkService(probe, List.of("flash-fp16", "sage-int8-fp16"), FEW_POINTS, GPU_DEFAULTS);
    }
}
