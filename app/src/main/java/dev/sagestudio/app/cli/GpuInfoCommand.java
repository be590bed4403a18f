package dev.sagestudio.app.cli;

import dev.sagestudio.attention.catalog.Availability;
import dev.sagestudio.attention.catalog.BackendCatalog;
import dev.sagestudio.attention.catalog.BackendProbe;
import dev.sagestudio.attention.gpu.GpuContext;
import dev.sagestudio.attention.gpu.GpuStatus;
import dev.sagestudio.attention.gpu.KernelModule;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code gpu-info} command: what the driver reports, whether this build's kernels load, which backends run. */
@Command(name = "gpu-info", mixinStandardHelpOptions = true,
        description = "Prints what the NVIDIA driver reports, whether this build's kernels load on the GPU, and which"
                + " GPU attention backends run here (or why not). Exit status 1 when there is no usable GPU.")
public final class GpuInfoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        GpuStatus status = GpuStatus.probe();
        out.println(status.message());
        status.devices().forEach(d -> out.println("  " + d.describe()));
        out.println("kernels bundled: " + KernelModule.isBundled());
        KernelModule.bundledManifest().ifPresent(m -> out.println("kernel manifest: " + m.replaceAll("\\s+", " ")));
        for (Availability a : BackendCatalog.standard().availability(BackendProbe.here())) {
            if (a.backend().isGpu()) {
                out.println(a.backend().name() + ": " + a.whyNot().map(why -> "does not run here: " + why)
                        .orElse("runs here"));
            }
        }
        if (!status.available()) {
            out.flush();
            return 1;
        }
        try (GpuContext context = GpuContext.open()) {
            out.println("primary context 0x" + Long.toHexString(context.rawContextHandle()) + ", free memory "
                    + context.memoryInfo().freeBytes() / (1 << 20) + " MiB");
            out.println(context.kernelsUnavailableReason().orElse("kernels load on this GPU"));
        }
        out.flush();
        return 0;
    }
}
