package dev.sagestudio.app.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.app.doctor.FakeMachine;
import dev.sagestudio.app.doctor.GpuPathCheck;
import dev.sagestudio.app.doctor.Requirement;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The device panel's report is what {@code sagestudio doctor} finds, plus the machine's facts and live memory. */
class SystemDeviceServiceTest {

    @Test
    void withoutADriverThePanelSaysWhatTheDoctorSaysAndWhatToInstall() {
        FakeMachine machine = new FakeMachine();
        machine.gpu = FakeMachine.NO_DRIVER;
        machine.module = Optional.empty();
        DeviceReport report = new SystemDeviceService(machine, d -> "unused").probe();
        GpuPathCheck.Report doctor = new GpuPathCheck(machine).check();
        assertFalse(report.gpuAvailable());
        assertEquals(doctor.headline(), report.summary());
        assertEquals(doctor.requirements(), report.gpuPath());
        assertTrue(report.gpuPath().get(0).name().startsWith("NVIDIA driver >= 580") && !report.gpuPath().get(0).met(),
                "the driver against the version required: " + report.gpuPath().get(0));
        assertTrue(report.whatToDo().orElseThrow().startsWith(FakeMachine.NO_DRIVER.message()));
        assertEquals(List.of("GPU", "CPU threads"), report.facts().stream().map(DeviceReport.Fact::label).toList());
    }

    @Test
    void aMissingCudaLibraryIsListedWithWhatItCostsAndWhatToInstall() {
        FakeMachine machine = new FakeMachine();
        machine.missingLibraries = Set.of("libcudnn.so.9");
        DeviceReport report = new SystemDeviceService(machine, d -> "3.0 GiB used").probe();
        assertTrue(report.gpuAvailable());
        assertTrue(report.summary().startsWith("CUDA EP unavailable: libcudnn.so.9 not found"), report.summary());
        Requirement cudnn = report.gpuPath().stream().filter(r -> r.name().contains("libcudnn.so.9")).findFirst()
                .orElseThrow();
        assertFalse(cudnn.met());
        assertTrue(cudnn.cost().contains("kernels still run on the GPU"), cudnn.cost());
        assertTrue(report.whatToDo().orElseThrow().contains(GpuPathCheck.CUDA_LIBRARIES_HINT));
        assertEquals(List.of("GPU", "Compute capability", "Memory", "CPU threads"),
                report.facts().stream().map(DeviceReport.Fact::label).toList());
        assertEquals("9.0 (sm_90, 132 SMs)", report.facts().get(1).value());
    }

    @Test
    void theGpuPathIsCheckedOnceAndTheMemoryOnEveryProbe() {
        FakeMachine machine = new FakeMachine();
        AtomicInteger reads = new AtomicInteger();
        SystemDeviceService service = new SystemDeviceService(machine, d -> reads.incrementAndGet() + ".0 GiB used");
        service.probe();
        machine.epTried = false;
        DeviceReport second = service.probe();
        assertFalse(machine.epTried, "the CUDA EP is not started again");
        assertEquals("2.0 GiB used", second.facts().get(2).value());
        assertTrue(second.gpuPath().stream().allMatch(Requirement::met));
        assertEquals(Optional.empty(), second.whatToDo(), "nothing to install on a complete GPU path");
    }
}
