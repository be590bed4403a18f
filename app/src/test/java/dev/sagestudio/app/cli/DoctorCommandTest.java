package dev.sagestudio.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.app.doctor.GpuPathCheck;
import dev.sagestudio.app.doctor.Requirement;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DoctorCommandTest {

    static final GpuPathCheck.Report NO_CUDNN = new GpuPathCheck.Report(List.of(
            new Requirement("NVIDIA driver >= 580 (CUDA 13.0)", true, "580.159.04, supports CUDA 13.0", ""),
            new Requirement("cuDNN 9 (libcudnn.so.9)", false, "not found by the dynamic loader",
                    "ONNX Runtime's CUDA EP cannot start")),
            "CUDA EP unavailable: libcudnn.so.9 not found - the kernels still run on the GPU, other layers on the CPU.",
            true, false, "To let ONNX Runtime's CUDA EP start, install libcudnn9-cuda-13.");

    /** Exit code and standard output of {@code doctor args} over a fixed report. */
    record Outcome(int exit, String out) {
    }

    static Outcome run(GpuPathCheck.Report report, String... args) {
        CommandLine cli = new CommandLine(new DoctorCommand(() -> report));
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        int exit = cli.execute(args);
        return new Outcome(exit, out.toString());
    }

    @Test
    void printsEachRequirementWhatWasFoundTheCostAndTheHeadline() {
        Outcome result = run(NO_CUDNN);
        assertEquals(0, result.exit());
        String out = result.out();
        assertTrue(out.contains("  [found]   NVIDIA driver >= 580 (CUDA 13.0): 580.159.04, supports CUDA 13.0"), out);
        assertTrue(out.contains("  [missing] cuDNN 9 (libcudnn.so.9): not found by the dynamic loader"
                + System.lineSeparator() + "            costs: ONNX Runtime's CUDA EP cannot start"), out);
        assertTrue(out.contains(NO_CUDNN.advice()), out);
        assertTrue(out.strip().endsWith(NO_CUDNN.headline()), out);
    }

    @Test
    void requireGpuPathFailsWhenEitherHalfIsOnTheCpu() {
        assertEquals(DoctorCommand.GPU_PATH_INCOMPLETE, run(NO_CUDNN, "--require-gpu-path").exit());
        GpuPathCheck.Report complete = new GpuPathCheck.Report(List.of(), "GPU path complete", true, true, "");
        assertEquals(0, run(complete, "--require-gpu-path").exit());
    }
}
