package dev.sagestudio.app.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.gpu.DeviceInfo;
import dev.sagestudio.attention.gpu.GpuStatus;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GpuPathCheckTest {

    static final String MANIFEST = FakeMachine.MANIFEST;
    static final DeviceInfo H100 = FakeMachine.H100;
    static final GpuStatus NO_DRIVER = FakeMachine.NO_DRIVER;

    static GpuPathCheck.Report check(FakeMachine machine) {
        return new GpuPathCheck(machine).check();
    }

    @Test
    void everythingPresentIsTheCompleteGpuPath() {
        FakeMachine machine = new FakeMachine();
        GpuPathCheck.Report report = check(machine);
        assertTrue(report.requirements().stream().allMatch(Requirement::met), report.requirements().toString());
        assertEquals("", report.advice());
        assertTrue(report.kernelsOnGpu() && report.cudaEp());
        assertEquals("GPU path complete: the attention kernels and ONNX Runtime's CUDA EP run on NVIDIA H100 80GB HBM3.",
                report.headline());
        assertTrue(machine.epTried);
    }

    @Test
    void everyCudaLibraryOfTheEpIsListedWithItsFileName() {
        GpuPathCheck.Report report = check(new FakeMachine());
        for (String soname : List.of("libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcufft.so.12",
                "libcudnn.so.9")) {
            assertTrue(report.requirements().stream().anyMatch(r -> r.name().contains("(" + soname + ")")
                    && r.found().endsWith(soname)), soname + " in " + report.requirements());
        }
    }

    @Test
    void missingCudnnLeavesTheKernelsOnTheGpuAndTheOtherLayersOnTheCpu() {
        FakeMachine machine = new FakeMachine();
        machine.missingLibraries = Set.of("libcudnn.so.9");
        GpuPathCheck.Report report = check(machine);
        assertEquals("CUDA EP unavailable: libcudnn.so.9 not found - the kernels still run on the GPU, other layers on"
                + " the CPU.", report.headline());
        assertTrue(report.kernelsOnGpu());
        assertFalse(report.cudaEp());
        Requirement cudnn = report.missing("libcudnn.so.9").orElseThrow();
        assertTrue(cudnn.cost().contains("the kernels still run on the GPU"), cudnn.cost());
        assertTrue(report.advice().contains("libcudnn9-cuda-13"), "says what to install: " + report.advice());
        assertTrue(report.missing("CUDA EP starts").orElseThrow().found().startsWith("not tried"));
        assertFalse(machine.epTried, "the EP is not started while a library it links is missing");
    }

    @Test
    void noDriverMeansEverythingOnTheCpuAndSaysWhy() {
        FakeMachine machine = new FakeMachine();
        machine.module = Optional.empty();
        machine.gpu = NO_DRIVER;
        GpuPathCheck.Report report = check(machine);
        assertEquals("No GPU path: no NVIDIA driver found - everything runs on the CPU (slower); the CPU backends work.",
                report.headline());
        assertEquals("no NVIDIA driver found: libcuda.so.1 missing.", report.missing("NVIDIA driver").orElseThrow()
                .found(), "said once, with the detail");
        assertEquals("not known: the NVIDIA driver could not be asked (see the driver above)",
                report.missing("CUDA GPU").orElseThrow().found(), "the driver's message is not repeated");
        assertFalse(report.kernelsOnGpu() || report.cudaEp());
        assertTrue(report.missing("NVIDIA driver").orElseThrow().cost().contains("everything runs on the CPU"));
        assertFalse(machine.epTried);
    }

    @Test
    void aCuda12DriverIsTooOldForTheseKernelsAndTheCudaEp() {
        FakeMachine machine = new FakeMachine();
        machine.module = Optional.of("550.54.15");
        DeviceInfo onCuda12 = new DeviceInfo(0, "NVIDIA A100-SXM4-80GB", 8, 0, 80L << 30, 108, 12040);
        machine.gpu = new GpuStatus(true, "1 CUDA device", 12040, List.of(onCuda12));
        GpuPathCheck.Report report = check(machine);
        Requirement driver = report.missing("NVIDIA driver").orElseThrow();
        assertEquals("550.54.15, supports CUDA 12.4", driver.found());
        assertTrue(driver.cost().contains("this build's kernels (nvcc 13.0)"), driver.cost());
        assertFalse(report.kernelsOnGpu());
        assertTrue(report.headline().startsWith("No GPU path:"), report.headline());
    }

    @Test
    void aPreAmpereGpuCannotRunTheKernels() {
        FakeMachine machine = new FakeMachine();
        DeviceInfo turing = new DeviceInfo(0, "Tesla T4", 7, 5, 16L << 30, 40, 13000);
        machine.gpu = new GpuStatus(true, "1 CUDA device", 13000, List.of(turing));
        GpuPathCheck.Report report = check(machine);
        assertEquals("Tesla T4, compute capability 7.5, 16 GiB",
                report.missing("compute capability").orElseThrow().found());
        assertFalse(report.kernelsOnGpu());
    }

    @Test
    void aBuildWithoutKernelsSaysSo() {
        FakeMachine machine = new FakeMachine();
        machine.manifest = Optional.empty();
        GpuPathCheck.Report report = check(machine);
        Requirement kernels = report.missing("kernels").orElseThrow();
        assertTrue(kernels.found().contains("without nvcc"), kernels.found());
        assertTrue(report.cudaEp());
        assertTrue(report.headline().startsWith("Kernels unavailable:"), report.headline());
    }

    @Test
    void kernelsThatDoNotLoadAreReportedWithTheLoadersReason() {
        FakeMachine machine = new FakeMachine();
        machine.kernelProblem = Optional.of("the kernels in this build hold no code for NVIDIA H100 (sm_90)");
        GpuPathCheck.Report report = check(machine);
        assertTrue(report.missing("kernels").orElseThrow().found().endsWith("hold no code for NVIDIA H100 (sm_90)"));
        assertFalse(report.kernelsOnGpu());
    }

    @Test
    void cpuOnlyNativesAreNamedAsTheReasonTheEpIsNotTried() {
        FakeMachine machine = new FakeMachine();
        machine.natives = false;
        GpuPathCheck.Report report = check(machine);
        assertTrue(report.missing("GPU natives").orElseThrow().found().contains("CPU natives only"));
        assertEquals("not tried: ONNX Runtime GPU natives is missing",
                report.missing("CUDA EP starts").orElseThrow().found());
        assertFalse(machine.epTried);
    }

    @Test
    void anEpThatFailsToStartCarriesOnnxRuntimesReason() {
        FakeMachine machine = new FakeMachine();
        machine.epProblem = Optional.of("CUDA failure 35: CUDA driver version is insufficient");
        GpuPathCheck.Report report = check(machine);
        assertEquals("CUDA failure 35: CUDA driver version is insufficient",
                report.missing("CUDA EP starts").orElseThrow().found());
        assertTrue(report.headline().startsWith("CUDA EP unavailable: ONNX Runtime CUDA EP starts not met"),
                report.headline());
    }

    @Test
    void theKernelManifestGivesArchitecturesAndTheCudaVersion() {
        GpuPathCheck.KernelBuild build = GpuPathCheck.KernelBuild.parse(MANIFEST);
        assertEquals(List.of("sm_80", "sm_90a"), build.sassArchitectures());
        assertEquals(13000, build.cudaVersion());
        assertEquals("SASS sm_80 sm_90a, PTX compute_90, built by nvcc 13.0", build.describe());
    }

    @Test
    void bothKernelModuleVersionLinesAreRead() {
        assertEquals(Optional.of("580.159.04"), LocalMachine.parseDriverVersion(
                "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.159.04  Thu Oct 30 2025\nGCC version: gcc 12"));
        assertEquals(Optional.of("580.65.06"), LocalMachine.parseDriverVersion(
                "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.65.06  Release Build"));
        assertEquals(Optional.empty(), LocalMachine.parseDriverVersion("no driver here"));
        assertEquals(580, GpuPathCheck.driverMajor("580.65.06"));
    }

    @Test
    void theDynamicLoaderFindsLibcAndNotAMadeUpLibrary() {
        LibraryLookup.Result libc = LibraryLookup.find("libc.so.6");
        assertTrue(libc.loaded() && libc.detail().startsWith("/") && libc.detail().contains("libc.so.6"),
                libc.detail());
        LibraryLookup.Result none = LibraryLookup.find("libsagestudio-no-such-library.so.1");
        assertFalse(none.loaded());
        assertTrue(none.detail().startsWith("not found by the dynamic loader"), none.detail());
    }

    @Test
    void theRealCheckOnThisMachineListsEveryRequirementAndAgreesWithItsHeadline() {
        GpuPathCheck.Report report = GpuPathCheck.run();
        assertEquals(4 + GpuPathCheck.CUDA_EP_LIBRARIES.size() + 1, report.requirements().size());
        boolean complete = report.requirements().stream().allMatch(Requirement::met);
        assertEquals(complete, report.headline().startsWith("GPU path complete"), report.headline());
        assertEquals(complete, report.kernelsOnGpu() && report.cudaEp());
    }
}
