package dev.sagestudio.app.cli;

import dev.sagestudio.app.bench.GpuHarness;
import dev.sagestudio.attention.bench.BenchRecord;
import dev.sagestudio.attention.bench.GpuBenchmark;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sagestudio.attention.gpu.GpuUnavailableException;
import dev.sagestudio.attention.catalog.BackendCatalog;
import dev.sagestudio.attention.catalog.BackendDevice;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The {@code gpu-bench} command: runs the {@link GpuBenchmark}, prints each record and a table, writes JSON. */
@Command(name = "gpu-bench", mixinStandardHelpOptions = true,
        description = "Times the GPU attention kernels (CUDA events, median of N runs) and writes JSON records.")
public final class GpuBenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--batch", defaultValue = GpuHarness.BATCH, description = "Batch size (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--heads", defaultValue = GpuHarness.HEADS, description = "Heads (default ${DEFAULT-VALUE}).")
    int heads;

    @Option(names = "--head-dims", split = ",", defaultValue = GpuHarness.HEAD_DIMS,
            description = "Head dims, in order.")
    List<Integer> headDims;

    @Option(names = "--seq-lens", split = ",", defaultValue = GpuHarness.SEQ_LENS,
            description = "Sequence lengths (q_len = kv_len), in order.")
    List<Integer> seqLens;

    @Option(names = "--causal", split = ",", arity = "1", defaultValue = GpuHarness.CAUSAL,
            description = "Causal settings to time, e.g. false,true.")
    List<Boolean> causalModes;

    @Option(names = "--backends", split = ",",
            description = "GPU backends to time (default: every one, ${bundle:" + BackendNames.GPU + "}).")
    List<String> backends;

    @Option(names = "--dtype", defaultValue = GpuHarness.DTYPE, description = "Input dtype: fp16, bf16 or fp32.")
    String dtypeName;

    @Option(names = "--runs", defaultValue = GpuHarness.RUNS,
            description = "Timed runs per point (median; default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = GpuHarness.WARMUP,
            description = "Untimed runs first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--budget-seconds", defaultValue = "0",
            description = "Stop starting new points after this many seconds (0 = no limit); skipped points are listed.")
    double budgetSeconds;

    @Option(names = "--device", defaultValue = "0", description = "CUDA device ordinal.")
    int device;

    @Option(names = "--out", required = true, description = "JSON file to write (rewritten after every point).")
    Path out;

    /** Exit status when there is no usable GPU (the message says why). */
    static final int EXIT_NO_GPU = 3;

    /**
     * A command that finds no usable GPU ends with {@link #EXIT_NO_GPU} and the reason on stderr, not a stack trace
     * (set on the top-level command line: picocli asks the top level's handler).
     */
    public static CommandLine.IExecutionExceptionHandler noGpuHandler() {
        return (e, cmd, parsed) -> {
            if (e instanceof GpuUnavailableException) {
                cmd.getErr().println(cmd.getCommandName() + ": " + e.getMessage());
                return EXIT_NO_GPU;
            }
            throw e;
        };
    }

    @Override
    public Integer call() throws IOException {
        GpuBenchmark.Settings settings;
        try {
            settings = new GpuBenchmark.Settings(batch, heads, headDims, seqLens, causalModes,
                    backends != null ? backends : BackendCatalog.standard().names(BackendDevice.GPU),
                    GpuBenchmark.parseDType(dtypeName), runs, warmup, budgetSeconds, device);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter stdout = spec.commandLine().getOut();
        if (runs < 20) {
            stdout.println("note: --runs " + runs + " is below the 20 runs the project's published numbers use");
        }
        GpuBenchmark.Result result;
        try {
            result = new GpuBenchmark(settings).run(new GpuBenchmark.Listener() {
                @Override
                public void started(String deviceDescription) {
                    stdout.println("benchmarking on " + deviceDescription);
                }

                @Override
                public void measured(BenchRecord r) {
                    stdout.printf(Locale.ROOT, "%-18s D=%-3d N=%-5d %-10s %-11s %9.3f ms %7.1f TOPS  [%s]%n",
                            r.backend(), r.headDim(), r.seqLen(), r.causal() ? "causal" : "non-causal",
                            r.includesQuant() ? "with-quant" : "kernel", r.medianMs(), r.tops(), r.kernel());
                    stdout.flush();
                }

                @Override
                public void pointDone(List<BenchRecord> recordsSoFar) {
                    try {
                        write(recordsSoFar);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        write(result.records());
        printTable(stdout, result.records());
        result.skipped().forEach(s -> stdout.println("skipped: " + s));
        stdout.flush();
        return 0;
    }

    private void write(List<BenchRecord> records) throws IOException {
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), records);
    }

    private static void printTable(PrintWriter stdout, List<BenchRecord> records) {
        stdout.println();
        stdout.println("| backend | D | N | causal | includes quant | median ms | TOPS |");
        stdout.println("| --- | --- | --- | --- | --- | --- | --- |");
        for (BenchRecord r : records) {
            stdout.printf(Locale.ROOT, "| %s | %d | %d | %s | %s | %.3f | %.1f |%n", r.backend(), r.headDim(),
                    r.seqLen(), r.causal(), r.includesQuant(), r.medianMs(), r.tops());
        }
    }
}
