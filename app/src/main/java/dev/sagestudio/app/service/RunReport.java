package dev.sagestudio.app.service;

import java.util.List;

/**
 * What ran in a generation, as shown under its result.
 *
 * @param groups per attention node group (text encoder, denoiser): the backend asked for and the one that ran
 * @param executionProvider ONNX Runtime's execution provider ("CPU" or "CUDA")
 * @param warnings fallbacks, each with its reason (shown as warning badges)
 * @param notes what else to know about how it ran (device path, host copies, nodes kept in ONNX Runtime)
 * @param totalSeconds the whole run
 * @param medianStepSeconds the median denoising step
 * @param copiesPerStep copies between Java memory and the runtime's memory per step (mean)
 */
public record RunReport(List<NodeGroupRun> groups, String executionProvider, List<String> warnings, List<String> notes,
                        double totalSeconds, double medianStepSeconds, double copiesPerStep) {

    public RunReport {
        groups = List.copyOf(groups);
        warnings = List.copyOf(warnings);
        notes = List.copyOf(notes);
    }

    public boolean hasFallback() {
        return !warnings.isEmpty();
    }

    /**
     * One group of attention nodes.
     *
     * @param group "text encoder" or "denoiser"
     * @param requested the backend asked for this group
     * @param ran the backend that ran it
     */
    public record NodeGroupRun(String group, String requested, String ran) {
    }
}
