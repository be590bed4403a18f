package dev.sagestudio.app.cli;

import dev.sagestudio.app.compare.BackendsHere;
import dev.sagestudio.app.bench.BenchSession;
import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.pipeline.AttentionChoice;
import dev.sagestudio.models.pipeline.AttentionResolver;
import dev.sagestudio.models.pipeline.GenerationRequest;
import dev.sagestudio.models.pipeline.PipelineBench;
import dev.sagestudio.models.runtime.OrtRuntime;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code bench}: times a denoising step, or the attention calls alone on real activations, per backend. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Times one guided denoising step (ONNX Runtime vs attention) or every attention call of the"
                + " model's first step on its real Q/K/V, once per backend; medians after warm-up; ratios vs the first"
                + " backend. Wall clock on this machine: compare only numbers from one run.",
                "Exit status: 0 done, 1 failed, 2 bad input."})
public final class BenchCommand implements Callable<Integer> {

    enum What { step, attention, kernels }

    @Spec
    CommandSpec spec;

    @Option(names = "--what", paramLabel = "step|attention|kernels", description = "What to time (default:"
            + " ${DEFAULT-VALUE}); kernels: the attention microbenchmark on synthetic inputs (TOPS vs sequence length,"
            + " head dims 64 and 128, causal and not; CPU backends).")
    What what = What.step;

    @Option(names = "--backends", paramLabel = "NAME", split = ",", description = "Backends, comma-separated"
            + " (default: ${DEFAULT-VALUE}).")
    List<String> backends = new ArrayList<>(BackendsHere.cpuPair());

    @Mixin
    ModelRuntimeOptions modelOptions = new ModelRuntimeOptions();

    @Option(names = "--prompt", paramLabel = "TEXT", description = "Prompt whose activations are used (default: ${DEFAULT-VALUE}).")
    String prompt = "a red heart";

    @Option(names = "--warmup", paramLabel = "N", description = "Unmeasured runs first (default: ${DEFAULT-VALUE}).")
    int warmup = 1;

    @Option(names = "--runs", paramLabel = "N", description = "Measured runs; the median is reported (default: ${DEFAULT-VALUE}).")
    int runs = 5;

    @Option(names = "--json", paramLabel = "FILE", description = "Also save the results as JSON (the benchmark view"
            + " reloads them).")
    Path json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        return CommandRunner.run(err, cancel -> {
            ModelBundle bundle = what == What.kernels ? null : modelOptions.bundle();
            List<AttentionChoice> choices = new ArrayList<>();
            try {
                for (String name : backends) {
                    AttentionChoice c = AttentionResolver.resolve(name.trim(), modelOptions.cpuFallback,
                            modelOptions.threads);
                    choices.add(c);
                    c.fallbackReason().ifPresent(r -> err.println("FALLBACK: " + r));
                    c.note().ifPresent(n -> err.println("note: " + n));
                }
                if (what == What.kernels) {
                    BenchSession.kernels(backends, warmup, runs, out, cancel).saveIfAsked(json, out);
                } else {
                    bench(bundle, choices, out);
                }
            } finally {
                choices.forEach(AttentionChoice::close);
            }
        });
    }

    private void bench(ModelBundle bundle, List<AttentionChoice> choices, PrintWriter out) throws IOException {
        GenerationRequest request = GenerationRequest.of(prompt, 0);
        OrtRuntime runtime = OrtRuntime.cpu(modelOptions.threads);
        out.printf(Locale.ROOT, "model %s, %s, median of %d after %d warm-up, ONNX Runtime CPU EP%n",
                bundle.spec().name(), what == What.step ? "one guided denoising step" : "attention calls of step 1",
                runs, warmup);
        if (what == What.step) {
            List<PipelineBench.StepTime> times = PipelineBench.step(bundle, choices, runtime, request, warmup, runs);
            out.printf(Locale.ROOT, "%-24s %12s %14s %12s %8s%n", "backend", "step ms", "ONNX Runtime ms",
                    "attention ms", "ratio");
            double base = times.get(0).totalNanos();
            for (PipelineBench.StepTime t : times) {
                out.printf(Locale.ROOT, "%-24s %12.2f %14.2f %12.2f %7.2fx%n", t.backend(), t.totalNanos() / 1e6,
                        t.ortNanos() / 1e6, t.attentionNanos() / 1e6, base / t.totalNanos());
            }
            BenchSession.steps(bundle.spec().name(), times).saveIfAsked(json, out);
        } else {
            List<PipelineBench.AttentionTime> times = PipelineBench.attention(bundle, choices, runtime, request,
                    warmup, runs);
            out.printf(Locale.ROOT, "%-5s %-28s", "call", "shape B,Hq/Hkv,Nq,Nkv,D");
            for (AttentionChoice c : choices) {
                out.printf(Locale.ROOT, " %22s", c.name() + " ms");
            }
            out.println();
            for (PipelineBench.AttentionTime t : times) {
                var s = t.shape();
                out.printf(Locale.ROOT, "%-5d %-28s", t.index(), s.batch() + "," + s.qHeads() + "/" + s.kvHeads()
                        + "," + s.qLen() + "," + s.kvLen() + "," + s.headDim());
                double base = t.medianNanos().values().iterator().next();
                for (long v : t.medianNanos().values()) {
                    out.printf(Locale.ROOT, " %13.3f (%5.2fx)", v / 1e6, base / v);
                }
                out.println();
            }
            BenchSession.calls(bundle.spec().name(), times).saveIfAsked(json, out);
        }
        out.println("ratio = first backend's time / this backend's time (higher is faster)");
        out.flush();
    }
}
