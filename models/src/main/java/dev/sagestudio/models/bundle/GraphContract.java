package dev.sagestudio.models.bundle;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks that an ONNX graph has the inputs and outputs its model.json component declares, before any session runs:
 * a text encoder copied over the denoiser is then refused naming the file and the field, instead of failing at the
 * first step with "missing model input".
 */
public final class GraphContract {

    private GraphContract() {
    }

    /**
     * @param field the component's field path, e.g. "components.denoiser"
     * @param file the component's ONNX file
     * @param graphInputs the inputs the graph needs from the caller
     * @param graphOutputs the graph's outputs
     * @throws IllegalArgumentException with the {@link BundleException} message listing every declared name the
     *                                  graph lacks
     */
    public static void check(String field, Path file, ModelSpec.Component declared, List<String> graphInputs,
                             List<String> graphOutputs) {
        List<String> problems = new ArrayList<>();
        missing(problems, field + ".inputs", declared.inputs(), graphInputs, file, "input");
        missing(problems, field + ".outputs", declared.outputs(), graphOutputs, file, "output");
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(new BundleException(file.getParent() == null ? file.toString()
                    : file.getParent().toString(), problems).getMessage());
        }
    }

    private static void missing(List<String> problems, String field, Map<String, ModelSpec.TensorSpec> declared,
                                List<String> actual, Path file, String what) {
        if (declared == null) {
            return;
        }
        declared.forEach((role, spec) -> {
            if (spec != null && spec.name() != null && !actual.contains(spec.name())) {
                problems.add(field + "." + role + ".name: " + file.getFileName() + " has no " + what + " '"
                        + spec.name() + "' (its " + what + "s: " + String.join(", ", actual) + "; is it the right"
                        + " file?)");
            }
        });
    }
}
