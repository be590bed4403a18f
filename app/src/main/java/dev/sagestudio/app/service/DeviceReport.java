package dev.sagestudio.app.service;

import java.util.List;
import java.util.Optional;

/**
 * What the device panel shows.
 *
 * @param gpuAvailable whether the GPU backends can run here
 * @param summary one line: the GPU, or that there is none
 * @param facts label and value pairs (GPU name, driver, compute capability, memory, kernels, CUDA EP, CPU threads)
 * @param whatToDo without a usable GPU: why not and what to install; empty otherwise
 */
public record DeviceReport(boolean gpuAvailable, String summary, List<Fact> facts, Optional<String> whatToDo) {

    public DeviceReport {
        facts = List.copyOf(facts);
    }

    public record Fact(String label, String value) {
    }
}
