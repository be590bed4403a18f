package dev.sagestudio.app.cli;

import dev.sagestudio.attention.gpu.GpuContext;
import dev.sagestudio.attention.gpu.GpuStatus;
import dev.sagestudio.attention.gpu.KernelModule;

/** Prints what the driver reports and whether this build's kernels load: {@code java ... GpuInfo}. */
public final class GpuInfoCommand {
    private GpuInfoCommand() {}

    public static void main(String[] args) {
        GpuStatus status = GpuStatus.probe();
        System.out.println(status.message());
        status.devices().forEach(d -> System.out.println("  " + d.describe()));
        System.out.println("kernels bundled: " + KernelModule.isBundled());
        KernelModule.bundledManifest().ifPresent(m -> System.out.println("kernel manifest: " + m.replaceAll("\\s+", " ")));
        if (!status.available()) {
            System.exit(1);
        }
        try (GpuContext context = GpuContext.open()) {
            System.out.println("primary context 0x" + Long.toHexString(context.rawContextHandle()) + ", free memory "
                    + context.memoryInfo().freeBytes() / (1 << 20) + " MiB");
            System.out.println(context.kernelsUnavailableReason().orElse("kernels load on this GPU"));
        }
    }
}
