package dev.sagestudio.models.cli;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.gpu.GpuBackends;
import dev.sagestudio.models.pipeline.AttentionChoice;
import java.util.Set;

/** Attention backends the ONNX commands can use today, by their command-line names. */
final class CpuBackends {
    static final String NAMES = "cpu-reference, cpu-sage (the default emulator), cpu-sage-int8-<pv>[-<granularity>]"
            + "[-nosmooth] (e.g. cpu-sage-int8-fp8-per-thread)";
    /** GPU backend names, as the GPU runtime defines them. */
    static final Set<String> GPU = Set.copyOf(GpuBackends.names());

    private CpuBackends() {
    }

    /** The backend called {@code name}; an IllegalArgumentException says what exists otherwise. */
    static AttentionBackend byName(String name) {
        if (GPU.contains(name)) {
            throw new IllegalArgumentException("GPU backend '" + name + "' runs only on the device path (run-onnx"
                    + " --ep cuda --backend " + name + "); host backends: " + NAMES);
        }
        return AttentionChoice.cpuBackend(name);
    }
}
