package dev.sagestudio.app.service;

import dev.sagestudio.app.doctor.Requirement;
import java.util.List;
import java.util.Optional;

/**
 * What the device panel shows.
 *
 * @param gpuAvailable whether the driver found a usable GPU
 * @param summary one line: where attention and the other layers run here, and the first reason why not on the GPU
 *                (the headline of {@code sagestudio doctor})
 * @param facts label and value pairs about the machine (GPU name, compute capability, memory, CPU threads)
 * @param gpuPath what the GPU path needs, what was found and what each missing piece costs (driver against the
 *                version required, GPU, kernels, CUDA libraries, CUDA EP), as {@code sagestudio doctor} lists it
 * @param whatToDo why the GPU cannot be used and what to install; empty when there is nothing to do
 */
public record DeviceReport(boolean gpuAvailable, String summary, List<Fact> facts, List<Requirement> gpuPath,
                           Optional<String> whatToDo) {

    public DeviceReport {
        facts = List.copyOf(facts);
        gpuPath = List.copyOf(gpuPath);
    }

    public record Fact(String label, String value) {
    }
}
