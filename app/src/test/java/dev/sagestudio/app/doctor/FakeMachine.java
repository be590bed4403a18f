package dev.sagestudio.app.doctor;

import dev.sagestudio.attention.gpu.DeviceInfo;
import dev.sagestudio.attention.gpu.GpuStatus;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** A machine with every piece of the GPU path; each test takes some away. */
public final class FakeMachine implements GpuPathCheck.Machine {
    public static final String MANIFEST = "{\"fatbin\": \"sagestudio_kernels.fatbin\", \"sass_archs\": [\"sm_80\","
            + " \"sm_90a\"], \"ptx_arch\": \"compute_90\", \"nvcc\": \"Cuda compilation tools, release 13.0, V13.0.88\"}";
    public static final DeviceInfo H100 = new DeviceInfo(0, "NVIDIA H100 80GB HBM3", 9, 0, 80L << 30, 132, 13000);
    public static final GpuStatus NO_DRIVER = new GpuStatus(false, "No NVIDIA driver was found: libcuda.so.1 missing.",
            0, List.of());

    public Optional<String> module = Optional.of("580.159.04");
    public GpuStatus gpu = new GpuStatus(true, "1 CUDA device", 13000, List.of(H100));
    public Optional<String> manifest = Optional.of(MANIFEST);
    public Optional<String> kernelProblem = Optional.empty();
    public boolean natives = true;
    public Set<String> missingLibraries = Set.of();
    public Optional<String> epProblem = Optional.empty();
    public boolean epTried;

    @Override
    public Optional<String> driverModuleVersion() {
        return module;
    }

    @Override
    public GpuStatus gpu() {
        return gpu;
    }

    @Override
    public Optional<String> kernelManifest() {
        return manifest;
    }

    @Override
    public Optional<String> kernelLoadProblem(DeviceInfo device) {
        return kernelProblem;
    }

    @Override
    public boolean ortCudaNatives() {
        return natives;
    }

    @Override
    public LibraryLookup.Result findLibrary(String soname) {
        return missingLibraries.contains(soname) ? new LibraryLookup.Result(false, "not found by the dynamic loader")
                : new LibraryLookup.Result(true, "/usr/lib/x86_64-linux-gnu/" + soname);
    }

    @Override
    public Optional<String> cudaEpProblem() {
        epTried = true;
        return epProblem;
    }
}
