package dev.sagestudio.app.cli;

import dev.sagestudio.app.service.BundleLocator;
import dev.sagestudio.models.bundle.BundleException;
import dev.sagestudio.models.bundle.ModelBundle;
import picocli.CommandLine.Option;

/** Which bundle to load and how to run it: the options every command that runs a model shares (picocli mixin). */
class ModelRuntimeOptions {

    @Option(names = {"-m", "--model"}, paramLabel = "BUNDLE", description = "Model bundle folder, or the name of a"
            + " bundled model (default: " + BundleLocator.DEFAULT_IMAGE_MODEL + " from models/bundled).")
    String model;

    @Option(names = "--threads", paramLabel = "N",
            description = "ONNX Runtime intra-op threads per session, at most the machine's cores; 0 = ONNX Runtime's"
                    + " default (default: ${DEFAULT-VALUE}).")
    int threads = 0;

    @Option(names = "--cpu-fallback", description = "Let a GPU backend name run on its CPU counterpart (reported as a"
            + " fallback) instead of failing.")
    boolean cpuFallback;

    ModelBundle bundle() throws BundleException {
        return ModelBundle.load(BundleLocator.resolve(model));
    }
}
