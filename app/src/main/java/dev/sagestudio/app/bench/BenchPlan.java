package dev.sagestudio.app.bench;

import java.util.List;
import java.util.Optional;

/**
 * What a benchmark run measures on this machine.
 *
 * @param device the GPU's name, or the CPU's ({@link CpuAttentionBenchmark#cpuName()})
 * @param onGpu whether the kernels are timed by the GPU harness (else the CPU backends are timed)
 * @param kernelBackends the backends whose attention kernels are timed
 * @param modelBackends the backends a model is generated with, end to end
 * @param whyNotGpu why no GPU backend runs here (the backend catalog's reason), when none does
 * @param notes GPU backends left out although the GPU runs others, each with the reason
 */
public record BenchPlan(String device, boolean onGpu, List<String> kernelBackends, List<String> modelBackends,
                        Optional<String> whyNotGpu, List<String> notes) {

    public BenchPlan {
        kernelBackends = List.copyOf(kernelBackends);
        modelBackends = List.copyOf(modelBackends);
        notes = List.copyOf(notes);
    }

    /** The plan in a sentence or two, for the line above the Run button. */
    public String describe() {
        StringBuilder text = new StringBuilder();
        if (onGpu) {
            text.append("Run times the GPU kernels with the gpu-bench harness on ").append(device).append(": ")
                    .append(String.join(", ", kernelBackends)).append('.');
        } else {
            String why = whyNotGpu.orElse("none was found");
            text.append("No usable GPU: ").append(why).append(why.endsWith(".") ? "" : ".")
                    .append(" Run times the CPU backends ")
                    .append(String.join(", ", kernelBackends)).append(" on ").append(device).append('.');
        }
        notes.forEach(note -> text.append(" Not timed: ").append(note).append('.'));
        if (!modelBackends.isEmpty()) {
            text.append(" A picked model is then generated with each of ").append(String.join(", ", modelBackends))
                    .append('.');
        }
        return text.toString();
    }
}
