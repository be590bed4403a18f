package dev.sagestudio.app.doctor;

import dev.sagestudio.attention.gpu.DeviceInfo;
import dev.sagestudio.attention.gpu.GpuContext;
import dev.sagestudio.attention.gpu.GpuStatus;
import dev.sagestudio.attention.gpu.KernelModule;
import dev.sagestudio.models.runtime.OrtRuntime;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The real machine behind {@link GpuPathCheck}: the driver, this build's resources, the dynamic loader. */
final class LocalMachine implements GpuPathCheck.Machine {
    static final String ORT_CUDA_LIBRARY = "libonnxruntime_providers_cuda.so";

    @Override
    public Optional<String> driverModuleVersion() {
        try {
            return parseDriverVersion(Files.readString(Path.of("/proc/driver/nvidia/version")));
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
    }

    /** {@code NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.159.04  Thu ...} → {@code 580.159.04}. */
    static Optional<String> parseDriverVersion(String procText) {
        Matcher m = Pattern.compile("Kernel Module.*?\\s(\\d{3,}\\.\\d+(?:\\.\\d+)?)\\s").matcher(procText);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    @Override
    public GpuStatus gpu() {
        return GpuStatus.probe();
    }

    @Override
    public Optional<String> kernelManifest() {
        return KernelModule.isBundled() ? KernelModule.bundledManifest().or(() -> Optional.of("{}")) : Optional.empty();
    }

    @Override
    public Optional<String> kernelLoadProblem(DeviceInfo device) {
        try (GpuContext context = GpuContext.open(device.ordinal())) {
            return context.kernelsUnavailableReason();
        } catch (RuntimeException e) {
            return Optional.of(String.valueOf(e.getMessage()));
        }
    }

    @Override
    public boolean ortCudaNatives() {
        // The installed app loads natives from its own folder on java.library.path; a Maven build has them in a jar.
        for (String folder : System.getProperty("java.library.path", "").split(File.pathSeparator)) {
            if (!folder.isEmpty() && Files.exists(Path.of(folder, ORT_CUDA_LIBRARY))) {
                return true;
            }
        }
        return OrtRuntime.class.getResource("/org/bytedeco/onnxruntime/linux-x86_64-gpu/" + ORT_CUDA_LIBRARY) != null;
    }

    @Override
    public LibraryLookup.Result findLibrary(String soname) {
        return LibraryLookup.find(soname);
    }

    @Override
    public Optional<String> cudaEpProblem() {
        return CudaEpCheck.problemHere();
    }
}
