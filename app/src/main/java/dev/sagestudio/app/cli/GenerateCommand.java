package dev.sagestudio.app.cli;

import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.bundle.ModelSpec;
import dev.sagestudio.models.fidelity.NonFiniteOutputException;
import dev.sagestudio.models.output.GenerationOutput;
import dev.sagestudio.models.pipeline.AttentionChoice;
import dev.sagestudio.models.pipeline.AttentionResolver;
import dev.sagestudio.models.pipeline.DecodeOptions;
import dev.sagestudio.models.pipeline.DiffusionPipeline;
import dev.sagestudio.models.pipeline.GenerationRequest;
import dev.sagestudio.models.pipeline.GenerationResult;
import dev.sagestudio.models.runtime.OrtRuntime;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code generate}: one image or video from a prompt, on the CPU, with the attention backend named. */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generates an image (PNG with the parameters embedded) or a video (GIF or MP4) from a prompt"
                + " with a model bundle; ONNX Runtime runs the layers, the chosen backend runs attention.",
                "Prints the backend that actually ran and the timing. Ctrl-C stops within one step.",
                "Exit status: 0 written, 1 failed, 2 bad input, 3 the output holds NaN/Inf (nothing written unless"
                        + " --keep-bad-output), 130 cancelled (nothing written)."})
public final class GenerateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    GenerationOptions options = new GenerationOptions();

    @Option(names = {"-b", "--backend"}, paramLabel = "NAME", description = "Attention backend of the denoiser: "
            + "${bundle:" + BackendNames.CPU + "}; or a GPU name (${bundle:" + BackendNames.GPU + "}): on the zero-copy device path where ONNX Runtime's CUDA EP can start, else through the"
            + " kernels' host API (said); without a usable GPU only with --cpu-fallback. Default ${DEFAULT-VALUE}:"
            + " on the CPU ONNX Runtime's own attention is by far"
            + " the fastest; cpu-sage-int8-fp16 emulates the SageAttention kernels' numerics, slowly.")
    String backend = AttentionChoice.ONNX_RUNTIME;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Where to write: .png for images, .gif or"
            + " .mp4 for videos (default: sagestudio-<seed>.png, or .gif for a video model).")
    Path output;

    @Option(names = "--keep-bad-output", description = "Write the output even when it holds NaN or Inf (exit status"
            + " stays 3).")
    boolean keepBadOutput;

    @Option(names = "--vae-memory", paramLabel = "SIZE", description = "Memory a full VAE decode may take (by its"
            + " estimate) before the latent is decoded in overlapping tiles instead, e.g. 512M or 6G (default: the memory"
            + " available when the decode starts). An out-of-memory error in ONNX Runtime also makes it tiled.")
    String vaeMemory;

    @Option(names = "--vae-tile", paramLabel = "N", description = "Tile size of a tiled VAE decode, in latent pixels"
            + " (default: ${DEFAULT-VALUE}).")
    int vaeTile = DecodeOptions.DEFAULT_TILE;

    @Option(names = "--vae-overlap", paramLabel = "N", description = "Overlap of neighbouring tiles, in latent pixels;"
            + " blended linearly over its middle half (default: ${DEFAULT-VALUE}).")
    int vaeOverlap = DecodeOptions.DEFAULT_OVERLAP;

    /** "512M", "6G", "200K" or bytes, in powers of 1024. */
    static long bytes(String size) {
        String s = size.strip().toUpperCase(Locale.ROOT);
        int shift = s.endsWith("K") ? 10 : s.endsWith("M") ? 20 : s.endsWith("G") ? 30 : 0;
        String number = shift == 0 ? s : s.substring(0, s.length() - 1);
        try {
            return (long) (Double.parseDouble(number) * (1L << shift));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--vae-memory takes a size such as 512M or 6G, got '" + size + "'");
        }
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        return CommandRunner.run(err, cancel -> {
            ModelBundle bundle = options.bundle();
            GenerationRequest request = options.request();
            boolean video = bundle.spec().kind() == ModelSpec.Kind.VIDEO;
            Path target = output != null ? output
                    : Path.of("sagestudio-" + request.seed() + (video ? ".gif" : ".png"));
            GenerationOutput.checkTarget(bundle.spec().kind(), target);
            DecodeOptions decode = new DecodeOptions(vaeMemory == null ? null : bytes(vaeMemory), vaeTile, vaeOverlap);
            CommandRunner.checkOutput(target, err);
            err.println("model " + bundle.spec().name() + " (" + bundle.root() + "), seed " + request.seed());
            GenerationResult result;
            try (AttentionChoice attention = AttentionResolver.resolve(backend, options.cpuFallback, options.threads);
                 DiffusionPipeline pipeline = DiffusionPipeline.open(bundle, attention, OrtRuntime.cpu(options.threads))) {
                attention.fallbackReason().ifPresent(r -> err.println("FALLBACK: " + r));
                pipeline.decodeOptions(decode);
                result = pipeline.generate(request, new ConsoleProgress(err, "denoising"), cancel);
            } catch (NonFiniteOutputException e) {
                if (keepBadOutput) {
                    GenerationResult bad = e.result(GenerationResult.class).orElseThrow();
                    GenerationOutput.write(bad, target, () -> cancel.checkBeforeWrite(bad.steps()));
                    err.println("kept the bad output as asked: wrote " + target);
                }
                throw e;
            }
            result.notes().forEach(n -> err.println("note: " + n));
            GenerationOutput.write(result, target, () -> cancel.checkBeforeWrite(result.steps()));
            out.println("wrote " + target);
            out.println(ExecutionText.describe(result.execution()));
            String split = result.stepTimeSplitMissing()
                    .map(why -> "ONNX Runtime and attention not split: " + why)
                    .orElseGet(() -> String.format(Locale.ROOT, "ONNX Runtime %.2f s, ", result.ortNanos() / 1e9)
                            + (result.execution().attentionCalls() == 0 ? "attention inside ONNX Runtime"
                            : String.format(Locale.ROOT, "attention %.2f s", result.attentionNanos() / 1e9)));
            out.printf(Locale.ROOT, "seed %d, %d steps, guidance %s, %s; total %.2f s (text %.0f ms, steps %.2f s:"
                            + " median %.0f ms/step, %s; decode %.0f ms)%n",
                    result.seed(), result.steps(), result.guidanceScale(), result.scheduler().jsonName(),
                    result.totalNanos() / 1e9, result.textNanos() / 1e6,
                    result.stepTimings().stream().mapToLong(t -> t.totalNanos()).sum() / 1e9,
                    result.medianStepNanos() / 1e6, split, result.decodeNanos() / 1e6);
            out.flush();
        });
    }
}
