package dev.sagestudio.models.cli;

import dev.sagestudio.attention.AttentionBackend;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** Options shared by the ONNX commands: the attention backend and values of symbolic dimensions. */
final class AttentionOptions {

    @Option(names = "--backend", paramLabel = "NAME", description = "Attention backend: " + CpuBackends.NAMES
            + "; with run-onnx --ep cuda also the GPU kernels flash-fp16, sage-int8-fp16, sage-int8-fp16acc,"
            + " sage-int8-fp8 (default: ${DEFAULT-VALUE}).")
    String backend = "cpu-reference";

    @Option(names = "--dim", paramLabel = "NAME=VALUE",
            description = "Value of a symbolic input dimension when inputs are generated (repeatable; others are 1).")
    Map<String, Long> dims = new LinkedHashMap<>();

    /** Whether the chosen backend is one of our GPU kernels (run on the device path). */
    boolean isGpu() {
        return CpuBackends.GPU.contains(backend);
    }

    /** The chosen backend, or a usage error naming the ones that exist. */
    AttentionBackend backend(CommandSpec spec) {
        try {
            return CpuBackends.byName(backend);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
