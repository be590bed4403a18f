package dev.sagestudio.app.cli;

import dev.sagestudio.app.doctor.GpuPathCheck;
import dev.sagestudio.app.doctor.Requirement;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sagestudio doctor}: what the GPU path needs, what this machine has, and what each missing piece costs. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "Lists what the GPU path needs (NVIDIA driver, GPU, this build's kernels, the CUDA libraries of"
                + " ONNX Runtime's CUDA EP), what was found or is missing, and what that costs.")
public final class DoctorCommand implements Callable<Integer> {

    /** Exit code of {@code --require-gpu-path} when the kernels or the CUDA EP cannot run on the GPU. */
    public static final int GPU_PATH_INCOMPLETE = 3;

    @Spec
    CommandSpec spec;

    @Option(names = "--require-gpu-path", description = "Exit with code " + GPU_PATH_INCOMPLETE + " unless the"
            + " kernels and ONNX Runtime's CUDA EP both run on the GPU (for scripts).")
    boolean requireGpuPath;

    private final Supplier<GpuPathCheck.Report> check;

    public DoctorCommand() {
        this(GpuPathCheck::run);
    }

    DoctorCommand(Supplier<GpuPathCheck.Report> check) {
        this.check = check;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        String version = Optional.ofNullable(DoctorCommand.class.getPackage().getImplementationVersion())
                .orElse("(development build)");
        out.println("SageStudio " + version + " doctor");
        out.println("Java " + System.getProperty("java.version") + " at " + System.getProperty("java.home"));
        Optional.ofNullable(System.getProperty("sagestudio.home")).ifPresent(home -> out.println("Installed at " + home));
        out.println();
        GpuPathCheck.Report report = check.get();
        out.println("GPU path:");
        for (Requirement requirement : report.requirements()) {
            out.println("  " + (requirement.met() ? "[found]   " : "[missing] ") + requirement.name() + ": "
                    + requirement.found());
            if (!requirement.met()) {
                out.println("            costs: " + requirement.cost());
            }
        }
        if (!report.advice().isEmpty()) {
            out.println(report.advice());
        }
        out.println();
        out.println(report.headline());
        out.flush();
        boolean complete = report.kernelsOnGpu() && report.cudaEp();
        return requireGpuPath && !complete ? GPU_PATH_INCOMPLETE : 0;
    }
}
