package dev.sagestudio.app.doctor;

import dev.sagestudio.attention.gpu.DeviceInfo;
import dev.sagestudio.attention.gpu.GpuStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the GPU path needs on this machine, what was found and what each missing piece costs: the NVIDIA driver,
 * a GPU our kernels support, the kernels in this build, ONNX Runtime's GPU natives, the CUDA libraries its CUDA
 * execution provider links against, and whether that provider starts. UI-neutral: {@code sagestudio doctor} prints
 * it, the desktop app's device panel can show the same {@link Report}.
 */
public final class GpuPathCheck {

    /** A CUDA library ONNX Runtime's CUDA EP needs: what it is and the file name the loader asks for. */
    public record CudaLibrary(String what, String soname) {
    }

    /**
     * The libraries {@code libonnxruntime_providers_cuda.so} of the linux-x86_64-gpu natives (a CUDA 13 build) lists
     * as needed; the installer build checks this list against the shipped library.
     */
    public static final List<CudaLibrary> CUDA_EP_LIBRARIES = List.of(
            new CudaLibrary("CUDA runtime", "libcudart.so.13"),
            new CudaLibrary("cuBLAS", "libcublas.so.13"),
            new CudaLibrary("cuBLASLt", "libcublasLt.so.13"),
            new CudaLibrary("cuFFT", "libcufft.so.12"),
            new CudaLibrary("cuDNN 9", "libcudnn.so.9"));

    /** CUDA 13.0, what ONNX Runtime's CUDA EP of the -gpu natives was built for. */
    static final int CUDA_EP_CUDA_VERSION = 13000;

    static final String NO_DRIVER = "no NVIDIA driver found";

    /** The lowest compute capability our kernels are built for (sm_80, Ampere). */
    static final int MIN_SM = 80;

    /** What to install when CUDA libraries are missing (NVIDIA's CUDA 13 apt repository; pip wheels work too). */
    public static final String CUDA_LIBRARIES_HINT = "install NVIDIA's CUDA 13 packages cuda-cudart-13-0 libcublas-13-0"
            + " libcufft-13-0 libcudnn9-cuda-13 (from NVIDIA's CUDA apt repository), or the pip wheels"
            + " nvidia-cuda-runtime nvidia-cublas nvidia-cufft nvidia-cudnn-cu13 with their lib folders in"
            + " LD_LIBRARY_PATH";

    /** The oldest Linux driver per CUDA major version (NVIDIA's CUDA compatibility table). */
    static int minimumDriverFor(int cudaVersion) {
        return cudaVersion >= 13000 ? 580 : 525;
    }

    /** What the check asks of the machine; tests pose as machines in every state. */
    public interface Machine {
        /** The kernel module's version, e.g. {@code 580.159.04} (from /proc/driver/nvidia/version), if readable. */
        Optional<String> driverModuleVersion();

        GpuStatus gpu();

        /** This build's kernel manifest (JSON), empty if the build has no kernels. */
        Optional<String> kernelManifest();

        /** Why the kernels do not load on {@code device}, empty if they do. */
        Optional<String> kernelLoadProblem(DeviceInfo device);

        /** Whether ONNX Runtime's CUDA EP library ({@code libonnxruntime_providers_cuda.so}) is in this build. */
        boolean ortCudaNatives();

        /** Loads {@code soname} as the dynamic loader would for ONNX Runtime. */
        LibraryLookup.Result findLibrary(String soname);

        /** Why ONNX Runtime's CUDA EP does not start on device 0, empty if it does. */
        Optional<String> cudaEpProblem();
    }

    /**
     * The outcome.
     *
     * @param requirements every requirement in order, met or not
     * @param headline     one line: where attention and the other layers run, and the first reason why not on the GPU
     * @param kernelsOnGpu whether our attention kernels can run on the GPU
     * @param cudaEp       whether ONNX Runtime's CUDA EP starts
     * @param advice       what to install, when CUDA libraries are missing; empty otherwise
     */
    public record Report(List<Requirement> requirements, String headline, boolean kernelsOnGpu, boolean cudaEp,
                         String advice) {
        public Report {
            requirements = List.copyOf(requirements);
        }

        /** The first unmet requirement whose name contains {@code part}, if any. */
        public Optional<Requirement> missing(String part) {
            return requirements.stream().filter(r -> !r.met() && r.name().contains(part)).findFirst();
        }
    }

    private final Machine machine;

    public GpuPathCheck(Machine machine) {
        this.machine = machine;
    }

    /** The check on this machine. */
    public static Report run() {
        return new GpuPathCheck(localMachine()).check();
    }

    /** The real machine: the driver, this build's resources, the dynamic loader. */
    public static Machine localMachine() {
        return new LocalMachine();
    }

    public Report check() {
        List<Requirement> requirements = new ArrayList<>();
        GpuStatus gpu = machine.gpu();
        Optional<KernelBuild> kernels = machine.kernelManifest().map(KernelBuild::parse);
        int neededCuda = Math.max(CUDA_EP_CUDA_VERSION, kernels.map(KernelBuild::cudaVersion).orElse(0));

        Requirement driver = driver(gpu, neededCuda, kernels);
        requirements.add(driver);
        Requirement device = device(gpu);
        requirements.add(device);
        Requirement kernelRequirement = kernels(kernels, gpu, driver.met() && device.met());
        requirements.add(kernelRequirement);
        boolean kernelsOnGpu = driver.met() && device.met() && kernelRequirement.met();

        String epCost = kernelsOnGpu ? "ONNX Runtime's CUDA EP cannot start: the kernels still run on the GPU, other"
                + " layers on the CPU" : "ONNX Runtime's CUDA EP cannot start: other layers run on the CPU";
        Requirement natives = machine.ortCudaNatives()
                ? Requirement.met("ONNX Runtime GPU natives", "libonnxruntime_providers_cuda.so is in this build")
                : Requirement.missing("ONNX Runtime GPU natives", "this build carries ONNX Runtime's CPU natives only"
                        + " (linux-x86_64, not linux-x86_64-gpu)", epCost);
        requirements.add(natives);
        List<Requirement> libraries = new ArrayList<>();
        for (CudaLibrary library : CUDA_EP_LIBRARIES) {
            LibraryLookup.Result found = machine.findLibrary(library.soname());
            String name = library.what() + " (" + library.soname() + ")";
            libraries.add(found.loaded() ? Requirement.met(name, found.detail())
                    : Requirement.missing(name, found.detail(), epCost));
        }
        requirements.addAll(libraries);

        Requirement ep;
        String epName = "ONNX Runtime CUDA EP starts";
        Optional<Requirement> blocker = firstUnmet(requirements.subList(0, 2))
                .or(() -> natives.met() ? Optional.empty() : Optional.of(natives))
                .or(() -> firstUnmet(libraries));
        if (blocker.isPresent()) {
            ep = Requirement.missing(epName, "not tried: " + blocker.get().name() + " is missing", epCost);
        } else {
            ep = machine.cudaEpProblem()
                    .map(problem -> Requirement.missing(epName, problem, epCost))
                    .orElseGet(() -> Requirement.met(epName, "starts on device 0"));
        }
        requirements.add(ep);
        String advice = firstUnmet(libraries).isPresent() ? "To let ONNX Runtime's CUDA EP start, " + CUDA_LIBRARIES_HINT
                + "." : "";
        return new Report(requirements, headline(requirements, kernelsOnGpu, ep.met(), gpu), kernelsOnGpu, ep.met(),
                advice);
    }

    private Requirement driver(GpuStatus gpu, int neededCuda, Optional<KernelBuild> kernels) {
        int minimumDriver = minimumDriverFor(neededCuda);
        String name = "NVIDIA driver >= " + minimumDriver + " (CUDA " + GpuStatus.formatCudaVersion(neededCuda) + ")";
        Optional<String> module = machine.driverModuleVersion();
        if (gpu.driverVersion() == 0 && module.isEmpty()) {
            // The probe's message starts by saying the same; keep what follows (which library, what to install).
            String detail = gpu.message().replaceFirst("^No NVIDIA driver was found: ", "");
            return Requirement.missing(name, NO_DRIVER + ": " + detail, "no GPU: everything runs on the CPU"
                    + " (slower)");
        }
        String found = module.map(v -> v + ", ").orElse("") + (gpu.driverVersion() > 0
                ? "supports CUDA " + GpuStatus.formatCudaVersion(gpu.driverVersion()) : gpu.message());
        boolean met = gpu.driverVersion() > 0 ? gpu.driverVersion() >= neededCuda
                : module.map(GpuPathCheck::driverMajor).orElse(0) >= minimumDriver;
        String builtBy = kernels.map(k -> "this build's kernels (" + k.nvcc() + ") and ").orElse("");
        return met ? Requirement.met(name, found) : Requirement.missing(name, found, builtBy
                + "ONNX Runtime's CUDA EP need it: everything runs on the CPU (slower) until the driver is updated");
    }

    private static Requirement device(GpuStatus gpu) {
        String name = "CUDA GPU, compute capability >= " + MIN_SM / 10 + "." + MIN_SM % 10;
        if (!gpu.available() || gpu.devices().isEmpty()) {
            // Without a driver that answers, the driver's requirement already carries the probe's message.
            String found = gpu.driverVersion() == 0 ? "not known: the NVIDIA driver could not be asked (see the"
                    + " driver above)" : gpu.message();
            return Requirement.missing(name, found, "everything runs on the CPU (slower)");
        }
        DeviceInfo first = gpu.devices().get(0);
        String found = first.name() + ", compute capability " + first.computeCapability() + ", "
                + first.totalMemoryBytes() / (1L << 30) + " GiB";
        return first.smArchitecture() >= MIN_SM ? Requirement.met(name, found)
                : Requirement.missing(name, found, "our kernels need Ampere or newer: attention runs on the CPU");
    }

    private Requirement kernels(Optional<KernelBuild> kernels, GpuStatus gpu, boolean gpuUsable) {
        String name = "SageAttention kernels in this build";
        if (kernels.isEmpty()) {
            return Requirement.missing(name, "none: this build was made without nvcc",
                    "the GPU attention backends are unavailable: attention runs on the CPU backends");
        }
        String built = kernels.get().describe();
        if (!gpuUsable) {
            return Requirement.met(name, built + " (not loaded: no usable GPU)");
        }
        DeviceInfo first = gpu.devices().get(0);
        return machine.kernelLoadProblem(first)
                .map(problem -> Requirement.missing(name, built + "; " + problem,
                        "the GPU attention backends are unavailable: attention runs on the CPU backends"))
                .orElseGet(() -> Requirement.met(name, built + "; they load on " + first.name()));
    }

    private static String headline(List<Requirement> requirements, boolean kernelsOnGpu, boolean cudaEp, GpuStatus gpu) {
        String reason = firstUnmet(requirements).map(GpuPathCheck::shortReason).orElse("");
        if (kernelsOnGpu && cudaEp) {
            return "GPU path complete: the attention kernels and ONNX Runtime's CUDA EP run on "
                    + gpu.devices().get(0).name() + ".";
        }
        if (kernelsOnGpu) {
            return "CUDA EP unavailable: " + reason + " - the kernels still run on the GPU, other layers on the CPU.";
        }
        if (cudaEp) {
            return "Kernels unavailable: " + reason + " - other layers run on the GPU, attention on the CPU.";
        }
        return "No GPU path: " + reason + " - everything runs on the CPU (slower); the CPU backends work.";
    }

    /** "libcudnn.so.9 not found" for a library, else the requirement and what was found. */
    private static String shortReason(Requirement unmet) {
        if (unmet.found().startsWith(NO_DRIVER)) {
            return NO_DRIVER;
        }
        Matcher soname = Pattern.compile("\\((lib[^)]+)\\)").matcher(unmet.name());
        if (soname.find()) {
            return soname.group(1) + " not found";
        }
        return unmet.name() + " not met (" + firstSentence(unmet.found()) + ")";
    }

    private static String firstSentence(String text) {
        int end = text.indexOf(". ");
        return end > 0 ? text.substring(0, end) : text;
    }

    private static Optional<Requirement> firstUnmet(List<Requirement> requirements) {
        return requirements.stream().filter(r -> !r.met()).findFirst();
    }

    /** {@code 580.159.04} → 580; 0 if unreadable. */
    static int driverMajor(String moduleVersion) {
        Matcher m = Pattern.compile("^(\\d+)").matcher(moduleVersion);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    /** The parts of the kernel manifest the check reports. */
    record KernelBuild(List<String> sassArchitectures, String ptxArchitecture, String nvcc, int cudaVersion) {
        static KernelBuild parse(String manifest) {
            List<String> sass = new ArrayList<>();
            Matcher list = Pattern.compile("\"sass_archs\"\\s*:\\s*\\[([^]]*)]").matcher(manifest);
            if (list.find()) {
                Matcher arch = Pattern.compile("\"([^\"]+)\"").matcher(list.group(1));
                while (arch.find()) {
                    sass.add(arch.group(1));
                }
            }
            String ptx = field(manifest, "ptx_arch").orElse("none");
            String nvccLine = field(manifest, "nvcc").orElse("");
            Matcher release = Pattern.compile("release (\\d+)\\.(\\d+)").matcher(nvccLine);
            String nvcc = release.find() ? "nvcc " + release.group(1) + "." + release.group(2) : "nvcc (version unknown)";
            int cuda = release.find(0) ? Integer.parseInt(release.group(1)) * 1000 + Integer.parseInt(release.group(2)) * 10
                    : 0;
            return new KernelBuild(sass, ptx, nvcc, cuda);
        }

        private static Optional<String> field(String json, String key) {
            Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
            return m.find() ? Optional.of(m.group(1)) : Optional.empty();
        }

        String describe() {
            return "SASS " + String.join(" ", sassArchitectures) + ", PTX " + ptxArchitecture + ", built by " + nvcc;
        }
    }
}
