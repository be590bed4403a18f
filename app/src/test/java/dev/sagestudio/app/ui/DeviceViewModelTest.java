package dev.sagestudio.app.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.app.doctor.Requirement;
import dev.sagestudio.app.service.DeviceReport;
import dev.sagestudio.app.service.DeviceService;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The device panel with fakes posing as a machine with a GPU and one without. */
class DeviceViewModelTest {

    @Test
    void aGpuMachineShowsTheGpuAndRefreshesItsMemory() {
        AtomicInteger probes = new AtomicInteger();
        DeviceService gpu = () -> new DeviceReport(true, "NVIDIA H100 80GB HBM3", List.of(
                new DeviceReport.Fact("GPU", "NVIDIA H100 80GB HBM3"),
                new DeviceReport.Fact("Memory", probes.incrementAndGet() + ".0 GiB used")), List.of(
                new Requirement("NVIDIA driver >= 580 (CUDA 13.0)", true, "580.159.04, supports CUDA 13.0", "")),
                Optional.empty());
        DeviceViewModel vm = new DeviceViewModel(gpu, new SameThreadTaskExecutor(), new MessagesViewModel());
        vm.refresh();
        assertTrue(vm.gpuAvailableProperty().get());
        assertEquals("NVIDIA H100 80GB HBM3", vm.summaryProperty().get());
        assertEquals("", vm.whatToDoProperty().get(), "nothing to install");
        vm.refresh();
        assertEquals("2.0 GiB used", vm.facts().get(1).value(), "each refresh probes again");
        assertEquals("580.159.04, supports CUDA 13.0", vm.gpuPath().get(0).found());
    }

    @Test
    void withoutAGpuItSaysWhyAndWhatToInstall() {
        Requirement driver = new Requirement("NVIDIA driver >= 580 (CUDA 13.0)", false, "no NVIDIA driver found",
                "no GPU: everything runs on the CPU (slower)");
        DeviceService none = () -> new DeviceReport(false, "No usable NVIDIA GPU", List.of(), List.of(driver),
                Optional.of("No NVIDIA driver was found. Install the NVIDIA driver for CUDA 12.0 or newer."));
        DeviceViewModel vm = new DeviceViewModel(none, new SameThreadTaskExecutor(), new MessagesViewModel());
        vm.refresh();
        assertFalse(vm.gpuAvailableProperty().get());
        assertTrue(vm.whatToDoProperty().get().contains("Install the NVIDIA driver"));
        assertEquals(List.of(driver), vm.gpuPath(), "the requirement, what was found and what it costs");
    }

    @Test
    void aFailingProbeIsShownInTheWindow() {
        MessagesViewModel messages = new MessagesViewModel();
        DeviceService broken = () -> {
            throw new IllegalStateException("driver crashed");
        };
        DeviceViewModel vm = new DeviceViewModel(broken, new SameThreadTaskExecutor(), messages);
        vm.refresh();
        assertEquals("driver crashed", messages.shownProperty().get().cause());
        vm.refresh();
        assertEquals(2, messages.all().size(), "a failed probe does not block the next one");
    }
}
