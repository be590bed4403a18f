package dev.sagestudio.app.cli;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.catalog.BackendCatalog;
import dev.sagestudio.attention.catalog.BackendDescriptor;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** Options shared by the ONNX commands: the attention backend and values of symbolic dimensions. */
final class AttentionOptions {

    @Option(names = "--backend", paramLabel = "NAME", description = "Attention backend: ${bundle:backends.substitutes}"
            + "; with run-onnx --ep cuda also the GPU kernels ${bundle:backends.gpu} (default: ${DEFAULT-VALUE}).")
    String backend = "cpu-reference";

    @Option(names = "--dim", paramLabel = "NAME=VALUE",
            description = "Value of a symbolic input dimension when inputs are generated (repeatable; others are 1).")
    Map<String, Long> dims = new LinkedHashMap<>();

    /** Whether the chosen backend is one of our GPU kernels (run on the device path). */
    boolean isGpu() {
        return BackendCatalog.standard().find(backend).map(BackendDescriptor::isGpu).orElse(false);
    }

    /** The chosen host backend, or a usage error naming the ones that exist. */
    AttentionBackend backend(CommandSpec spec) {
        BackendCatalog catalog = BackendCatalog.standard();
        try {
            BackendDescriptor chosen = catalog.require(backend);
            if (chosen.isGpu()) {
                throw new IllegalArgumentException("GPU backend '" + backend + "' runs only on the device path"
                        + " (run-onnx --ep cuda --backend " + backend + "); host backends: "
                        + catalog.substituteCpuNamesSummary());
            }
            if (chosen.runsInOnnxRuntime()) {
                throw new IllegalArgumentException("'" + backend + "' leaves attention inside ONNX Runtime; these"
                        + " commands substitute one of our backends: " + catalog.substituteCpuNamesSummary());
            }
            return chosen.createCpu();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
