package dev.sagestudio.app.cli;

import dev.sagestudio.app.compare.BackendsHere;
import dev.sagestudio.app.compare.HtmlReport;
import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.bundle.ModelSpec;
import dev.sagestudio.models.output.AnimatedGif;
import dev.sagestudio.models.output.PngWithParameters;
import dev.sagestudio.models.pipeline.AbComparison;
import dev.sagestudio.models.pipeline.AbResult;
import dev.sagestudio.models.pipeline.AttentionChoice;
import dev.sagestudio.models.pipeline.AttentionResolver;
import dev.sagestudio.models.pipeline.GenerationRequest;
import dev.sagestudio.models.runtime.OrtRuntime;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code compare}: the same prompt and seed through two attention backends, with metrics and both images. */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"A/B run: generates the same prompt and seed with two attention backends and prints PSNR, SSIM"
                + " and cosine similarity of the results, the attention error of both backends on real activations"
                + " captured during A's run (sampled steps and layers), and a timing breakdown.",
                "Writes A and B side by side (PNG for images, GIF for videos).",
                "Exit status: 0 done, 1 failed, 2 bad input, 130 cancelled."})
public final class CompareCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    GenerationOptions options = new GenerationOptions();

    @Option(names = "--a", paramLabel = "NAME", description = "Backend A (default: ${DEFAULT-VALUE}).")
    String backendA = BackendsHere.cpuPair().get(0);

    @Option(names = "--b", paramLabel = "NAME", description = "Backend B (default: ${DEFAULT-VALUE}). Names: "
            + "${bundle:" + BackendNames.CPU + "}.")
    String backendB = BackendsHere.cpuPair().get(1);

    @Option(names = "--sample-steps", paramLabel = "N", description = "Steps whose attention is captured for per-layer"
            + " errors, spread from first to last (default: ${DEFAULT-VALUE}).")
    int sampleSteps = 3;

    @Option(names = "--layers", paramLabel = "N", description = "Attention calls captured per sampled step, first"
            + " layers first (default: ${DEFAULT-VALUE}).")
    int layers = 8;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Side-by-side picture, A left, B right"
            + " (default: sagestudio-compare-<seed>.png, .gif for a video model).")
    Path output;

    @Option(names = "--report", paramLabel = "FILE", description = "Also write a self-contained HTML report (outputs,"
            + " difference image, charts, numbers) and the numbers as JSON next to it (same name, .json).")
    Path report;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        return CommandRunner.run(err, cancel -> {
            ModelBundle bundle = options.bundle();
            GenerationRequest request = options.request();
            err.println("model " + bundle.spec().name() + " (" + bundle.root() + "), seed " + request.seed());
            boolean video = bundle.spec().kind() == ModelSpec.Kind.VIDEO;
            Path target = output != null ? output
                    : Path.of("sagestudio-compare-" + request.seed() + (video ? ".gif" : ".png"));
            boolean gif = target.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gif");
            if (video && !gif) {
                throw new IllegalArgumentException("a video comparison is written as .gif, not " + target.getFileName());
            }
            CommandRunner.checkOutput(target, err);
            if (report != null) {
                CommandRunner.checkOutput(report, err);
            }
            AbResult result;
            try (AttentionChoice a = AttentionResolver.resolve(backendA, options.cpuFallback, options.threads);
                 AttentionChoice b = AttentionResolver.resolve(backendB, options.cpuFallback, options.threads)) {
                result = AbComparison.run(bundle, a, b, OrtRuntime.cpu(options.threads), request,
                        new AbComparison.Options(sampleSteps, layers, 256L << 20),
                        name -> new ConsoleProgress(err, String.format(Locale.ROOT, "%-20s", name)), cancel);
            }
            out.print(CompareReport.table(result));
            if (gif) {
                AnimatedGif.write(target, CompareReport.sideBySide(result), result.a().fps(),
                        () -> cancel.checkBeforeWrite(result.a().steps()));
            } else {
                Map<String, String> parameters = new LinkedHashMap<>(result.a().parameters());
                parameters.put("comparison", "left: " + result.a().execution().attentionThatRan() + ", right: "
                        + result.b().execution().attentionThatRan());
                parameters.put("psnr_db", Double.toString(result.metrics().psnr()));
                parameters.put("ssim", Double.toString(result.metrics().ssim()));
                PngWithParameters.write(target, CompareReport.sideBySide(result).get(0), parameters,
                        () -> cancel.checkBeforeWrite(result.a().steps()));
            }
            out.println("wrote " + target + " (left: A " + result.a().execution().attentionThatRan() + ", right: B "
                    + result.b().execution().attentionThatRan() + ")");
            if (report != null) {
                out.println("wrote " + report + " and " + HtmlReport.write(result, report));
            }
            out.flush();
        });
    }
}
