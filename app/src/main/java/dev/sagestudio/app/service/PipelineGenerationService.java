package dev.sagestudio.app.service;


import dev.sagestudio.app.compare.BackendsHere;
import dev.sagestudio.models.output.GenerationOutput;
import dev.sagestudio.models.pipeline.AttentionResolver;
import dev.sagestudio.models.bundle.BundleException;
import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.bundle.ModelSpec;
import dev.sagestudio.models.output.Pixels;
import dev.sagestudio.models.pipeline.AttentionChoice;
import dev.sagestudio.models.pipeline.CancellationToken;
import dev.sagestudio.models.pipeline.DiffusionPipeline;
import dev.sagestudio.models.pipeline.ExecutionReport;
import dev.sagestudio.models.pipeline.GenerationRequest;
import dev.sagestudio.models.pipeline.GenerationResult;
import dev.sagestudio.models.pipeline.ProgressListener;
import dev.sagestudio.models.pipeline.StepEvent;
import dev.sagestudio.models.pipeline.StepTiming;
import dev.sagestudio.models.runtime.OrtRuntime;
import dev.sagestudio.models.scheduler.SchedulerName;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The generation service over today's libraries: {@link BundleLocator} and {@link ModelBundle} for models,
 * {@link BackendsHere} (the backend catalog on this machine) and {@link AttentionResolver} for backends,
 * {@link DiffusionPipeline} for runs. The open pipeline is
 * kept for the next run with the same model, backend and threads (opening costs more than a small run). Not for
 * concurrent use: the app runs one generation at a time.
 */
public final class PipelineGenerationService implements GenerationService, AutoCloseable {

    private final Supplier<List<Path>> bundledFolders;
    private final Supplier<BackendsHere> backendsHere;
    private OpenPipeline open;

    private record OpenPipeline(Path model, String backend, int threads, DiffusionPipeline pipeline) {
    }

    /** Over the installation's bundled models and the backends of this machine. */
    public PipelineGenerationService() {
        this(BundleLocator::bundledModelFolders, BackendsHere::here);
    }

    /** With the bundled model folders and the machine's backends given (tests pose as machines with a GPU). */
    public PipelineGenerationService(Supplier<List<Path>> bundledFolders, Supplier<BackendsHere> backendsHere) {
        this.bundledFolders = bundledFolders;
        this.backendsHere = backendsHere;
    }

    @Override
    public List<ModelInfo> models(List<Path> userFolders) {
        List<ModelInfo> out = new ArrayList<>();
        for (Path folder : bundledFolders.get()) {
            tryInspect(folder, true).ifPresent(out::add);
        }
        for (Path folder : userFolders) {
            tryInspect(folder, false).ifPresent(out::add);
        }
        return out;
    }

    private Optional<ModelInfo> tryInspect(Path folder, boolean bundled) {
        try {
            return Optional.of(describe(ModelBundle.load(folder), bundled));
        } catch (BundleException e) {
            return Optional.empty();
        }
    }

    @Override
    public ModelInfo inspect(Path folder) {
        return describe(load(folder), bundledFolders.get().contains(folder));
    }

    private static ModelBundle load(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException("model folder " + folder + " does not exist");
        }
        try {
            return ModelBundle.load(folder);
        } catch (BundleException e) {
            throw new IllegalArgumentException(folder + " is not a usable model bundle: " + e.getMessage()
                    + ". A model folder holds model.json and the ONNX graphs it names (docs/model-bundle.md)", e);
        }
    }

    private static ModelInfo describe(ModelBundle bundle, boolean bundled) {
        ModelSpec spec = bundle.spec();
        ModelSpec.SampleSpec sample = spec.sample();
        boolean video = spec.kind() == ModelSpec.Kind.VIDEO;
        SchedulerName own = bundle.schedulerConfig().name();
        List<String> samplers = Arrays.stream(SchedulerName.values()).filter(s -> s.isFlow() == own.isFlow())
                .map(SchedulerName::jsonName).toList();
        return new ModelInfo(spec.name(), spec.displayName() == null ? spec.name() : spec.displayName(), bundle.root(),
                video, sample.frames() == null ? 1 : sample.frames(), sample.width(), sample.height(),
                sample.fps() == null ? 0 : sample.fps(), spec.defaults().steps(), spec.defaults().guidanceScale(),
                own.jsonName(), samplers, bundled);
    }

    @Override
    public List<BackendOption> backends() {
        return backendsHere.get().offered().stream().map(a -> new BackendOption(a.backend().name(),
                a.backend().description(), a.backend().isGpu(), a.whyNot(), a.note())).toList();
    }

    @Override
    public GeneratedResult generate(GenerationSpec spec, Consumer<StepProgress> progress, Cancellation cancel) {
        ModelBundle bundle = load(spec.model());
        GenerationRequest request = new GenerationRequest(spec.prompt(), spec.negativePrompt(), spec.seed(),
                spec.steps(), spec.guidance(), sampler(spec.sampler()), spec.previewEvery());
        CancellationToken token = new CancellationToken();
        cancel.onCancel(token::cancel);
        DiffusionPipeline pipeline = pipelineFor(bundle, spec.backend(), spec.threads());
        ModelSpec.SampleSpec sample = bundle.spec().sample();
        List<Double> range = bundle.spec().output().valueRange();
        boolean video = bundle.spec().kind() == ModelSpec.Kind.VIDEO;
        int frames = sample.frames() == null ? 1 : sample.frames();
        int fps = sample.fps() == null ? 0 : sample.fps();
        ProgressListener listener = (StepEvent e) -> {
            double perStep = e.timing().totalNanos() / 1e9;
            Optional<Frames> preview = e.preview().map(p -> toFrames(p, video, frames, sample.height(),
                    sample.width(), range, fps));
            progress.accept(new StepProgress(e.step() + 1, e.steps(), perStep, perStep * (e.steps() - e.step() - 1),
                    preview));
        };
        GenerationResult result;
        try {
            result = pipeline.generate(request, listener, token);
        } catch (dev.sagestudio.models.pipeline.GenerationCancelledException e) {
            throw new GenerationCancelledException("cancelled after " + e.stepsDone() + " of " + e.steps()
                    + " steps");
        }
        Frames pixels = Frames.of(GenerationOutput.images(result), result.fps());
        return new GeneratedResult(spec, result.model(), video, pixels, report(result), result.parameters());
    }

    private static Frames toFrames(float[] output, boolean video, int frames, int height, int width,
                                   List<Double> range, int fps) {
        double lo = range.get(0);
        double hi = range.get(1);
        return Frames.of(video ? Pixels.frames(output, frames, height, width, lo, hi)
                : List.of(Pixels.image(output, height, width, lo, hi)), fps);
    }

    /** What ran, per attention node group; the text encoder always runs whole in ONNX Runtime (see the pipeline). */
    static RunReport report(GenerationResult result) {
        ExecutionReport execution = result.execution();
        AttentionChoice attention = execution.attention();
        List<RunReport.NodeGroupRun> groups = List.of(
                new RunReport.NodeGroupRun("text encoder", AttentionChoice.ONNX_RUNTIME + " (runs once per run)",
                        AttentionChoice.ONNX_RUNTIME),
                new RunReport.NodeGroupRun("denoiser", attention.requested(), execution.attentionThatRan()));
        List<String> warnings = new ArrayList<>();
        attention.fallbackReason().ifPresent(warnings::add);
        execution.onnxRuntimeFallback().ifPresent(warnings::add);
        List<String> notes = new ArrayList<>();
        attention.note().ifPresent(notes::add);
        notes.addAll(execution.keptInOnnxRuntime());
        notes.addAll(result.notes());
        List<StepTiming> steps = result.stepTimings();
        double copies = steps.stream().mapToLong(StepTiming::copies).average().orElse(0);
        return new RunReport(groups, execution.onnxRuntimeProvider(), warnings, notes, result.totalNanos() / 1e9,
                result.medianStepNanos() / 1e9, copies);
    }

    private static SchedulerName sampler(String name) {
        for (SchedulerName s : SchedulerName.values()) {
            if (s.jsonName().equals(name.toLowerCase(Locale.ROOT))) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown sampler '" + name + "'");
    }

    private DiffusionPipeline pipelineFor(ModelBundle bundle, String backend, int threads) {
        Path model = bundle.root().toAbsolutePath().normalize();
        if (open != null && open.model().equals(model) && open.backend().equals(backend) && open.threads() == threads
                && open.pipeline().isOpen()) {
            return open.pipeline();
        }
        closeOpen();
        // A GPU backend that cannot start runs its CPU counterpart, and the result's warning badge says so.
        AttentionChoice attention = AttentionResolver.resolve(backend, true, threads);
        try {
            DiffusionPipeline pipeline = DiffusionPipeline.open(bundle, attention, OrtRuntime.cpu(threads));
            open = new OpenPipeline(model, backend, threads, pipeline);
            return pipeline;
        } catch (IOException e) {
            attention.close();
            throw new UncheckedIOException("cannot open the model's graphs: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            attention.close();
            throw e;
        }
    }

    private void closeOpen() {
        if (open != null) {
            try {
                open.pipeline().close();
            } finally {
                open.pipeline().attention().close();
                open = null;
            }
        }
    }

    @Override
    public void close() {
        closeOpen();
    }
}
