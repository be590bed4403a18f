package dev.sagestudio.models.pipeline;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.bundle.ModelSpec;
import dev.sagestudio.models.fidelity.FidelityGuard;
import dev.sagestudio.models.noise.SeededNoise;
import dev.sagestudio.models.onnx.AttentionNode;
import dev.sagestudio.models.onnx.PartitionPlan;
import dev.sagestudio.models.runtime.OrtRuntime;
import dev.sagestudio.models.runtime.PartitionedModel;
import dev.sagestudio.models.runtime.device.DeviceOnnxPath;
import dev.sagestudio.models.scheduler.Scheduler;
import dev.sagestudio.models.scheduler.SchedulerConfig;
import dev.sagestudio.models.tokenizer.PromptTokenizer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Text-to-image and text-to-video generation from a {@link ModelBundle}: tokenizer and text encoder
 * ({@link TextEmbedder}), seeded noise, the scheduler loop with classifier-free guidance around the
 * {@link Denoiser}, and the {@link SampleDecoder}. Images and videos share this loop; only the sample's shape
 * ([C, h, w] or [C, F, h, w]) and the output writer differ.
 *
 * <p>Every attention node of the denoiser that the partitioner substitutes runs on the run's {@link AttentionChoice};
 * the text encoder and the VAE decoder run whole in ONNX Runtime (they run once per generation, outside the loop
 * whose attention this product accelerates, and their head sizes need not suit the quantized kernels). What ran is
 * in {@link GenerationResult#execution()}. Sessions are opened once and reused by every {@link #generate} call until
 * {@link #close()}. One generation at a time per pipeline.
 *
 * <p>Two paths. Host: ONNX Runtime's CPU EP with tensors in host memory. Device (an {@link AttentionChoice} with a
 * {@link AttentionChoice#device() device path}): the denoiser's segments run on the CUDA EP and our kernels read Q, K
 * and V where the segments left them, every tensor inside a denoiser call stays in GPU memory, and only the call's
 * inputs (sample, timestep, text states) go up and its output comes down; the scheduler step, the text encoder and
 * the decoder run on the host (see docs/pipeline.md).
 */
public final class DiffusionPipeline implements AutoCloseable {
    private final ModelBundle bundle;
    private final AttentionChoice attention;
    private final OrtRuntime runtime;
    private final TextEmbedder embedder;
    private final Denoiser denoiser;
    private final SampleDecoder decoder;
    private final int frames;
    private final FidelityGuard fidelity;
    /** Chosen when the pipeline opens (tests may swap in the sample-resident loop over host memory). */
    private DenoisingLoop loop;
    private boolean closed;

    private DiffusionPipeline(ModelBundle bundle, AttentionChoice attention, OrtRuntime runtime, TextEmbedder embedder,
                              Denoiser denoiser, SampleDecoder decoder, int frames, DenoisingLoop loop,
                              FidelityGuard fidelity) {
        this.bundle = bundle;
        this.attention = attention;
        this.runtime = runtime;
        this.embedder = embedder;
        this.denoiser = denoiser;
        this.decoder = decoder;
        this.frames = frames;
        this.loop = loop;
        this.fidelity = fidelity;
    }

    /** Opens the bundle's graphs with {@code attention} running every substituted attention node. */
    public static DiffusionPipeline open(ModelBundle bundle, AttentionChoice attention, OrtRuntime runtime)
            throws IOException {
        return open(bundle, attention, runtime, attention.backend());
    }

    /** As {@link #open(ModelBundle, AttentionChoice, OrtRuntime)}, with the denoiser's attention wrapped (capture). */
    static DiffusionPipeline open(ModelBundle bundle, AttentionChoice attention, OrtRuntime runtime,
                                  AttentionBackend denoiserAttention) throws IOException {
        // a wrapped backend (capture) needs the host path, where every attention output passes through Java
        Function<PartitionPlan, PartitionedModel> onDevice = attention.device().isPresent()
                && denoiserAttention == attention.backend() ? attention.device().get()::partitioned : null;
        return open(bundle, attention, runtime, denoiserAttention, onDevice);
    }

    /**
     * As {@link #open(ModelBundle, AttentionChoice, OrtRuntime)}, with the denoiser's plan run by {@code onDevice}
     * (the device path's runner: tests give one over host memory posing as the device).
     */
    static DiffusionPipeline openOnDevice(ModelBundle bundle, AttentionChoice attention, OrtRuntime runtime,
                                          Function<PartitionPlan, PartitionedModel> onDevice) throws IOException {
        return open(bundle, attention, runtime, attention.backend(), Objects.requireNonNull(onDevice, "onDevice"));
    }

    private static DiffusionPipeline open(ModelBundle bundle, AttentionChoice attention, OrtRuntime runtime,
                                          AttentionBackend denoiserAttention,
                                          Function<PartitionPlan, PartitionedModel> onDevice) throws IOException {
        Objects.requireNonNull(bundle, "bundle");
        Objects.requireNonNull(attention, "attention");
        Objects.requireNonNull(runtime, "runtime");
        MemoryEstimate.requireFits(bundle);
        ModelSpec spec = bundle.spec();
        ModelSpec.SampleSpec s = spec.sample();
        int frames = s.frames() == null ? 1 : s.frames();
        int scale = s.latentScale() == null ? 1 : s.latentScale();
        int h = s.height() / scale;
        int w = s.width() / scale;
        boolean video = spec.kind() == ModelSpec.Kind.VIDEO;
        int latentFrames = spec.latentFrames(); // fewer than frames where the VAE decoder expands time
        long[] sampleShape = video ? new long[] {s.channels(), latentFrames, h, w} : new long[] {s.channels(), h, w};
        List<AutoCloseable> opened = new ArrayList<>();
        FidelityGuard fidelity = new FidelityGuard();
        List<String> guardedNodes = new ArrayList<>();
        try {
            String outsideLoop = "the chosen backend runs the denoiser's attention";
            TextEmbedder embedder = textEmbedder(bundle, runtime, outsideLoop, opened);
            GraphComponent den;
            if (attention.isOnnxRuntime()) {
                den = GraphComponent.whole("denoiser", bundle.denoiserFile(), runtime, "--backend "
                        + AttentionChoice.ONNX_RUNTIME + " chosen");
            } else if (onDevice != null) {
                den = GraphComponent.onDevice("denoiser", bundle.denoiserFile(), onDevice);
                // attention outputs are checked on the device; bad ones come here, with the step the loop set
                den.partitionedModel().orElseThrow().onNonFinite(fidelity::onDevice);
            } else {
                // Host path; also a device-path choice whose attention is wrapped (activation capture).
                den = GraphComponent.partitioned("denoiser", bundle.denoiserFile(),
                        fidelity.guard(denoiserAttention, () -> guardedNodes), attention.shapeFallback(), runtime);
                den.plan().attentionNodes().stream().filter(AttentionNode::substituted)
                        .forEach(n -> guardedNodes.add(n.label()));
            }
            opened.add(den);
            den.requireDeclared("components.denoiser", bundle.denoiserFile(), spec.components().denoiser());
            Denoiser denoiser = new Denoiser(den, spec.components().denoiser(), sampleShape,
                    Denoiser.sizeConditioning(s.height(), s.width()));
            Optional<GraphComponent> vae = Optional.empty();
            if (bundle.vaeDecoderFile().isPresent()) {
                vae = Optional.of(GraphComponent.whole("VAE decoder", bundle.vaeDecoderFile().get(), runtime,
                        outsideLoop));
                opened.add(vae.get());
                vae.get().requireDeclared("components.vaeDecoder", bundle.vaeDecoderFile().get(),
                        spec.components().vaeDecoder());
            }
            SampleDecoder decoder = new SampleDecoder(vae, spec.components().vaeDecoder(), s.channels(), latentFrames, frames,
                    h, w,
                    s.height(), s.width(), video);
            DenoisingLoop loop = chooseLoop(bundle, attention, den, denoiser);
            opened.add(loop);
            return new DiffusionPipeline(bundle, attention, runtime, embedder, denoiser, decoder, frames, loop,
                    fidelity);
        } catch (RuntimeException | IOException e) {
            for (int i = opened.size() - 1; i >= 0; i--) {
                try {
                    opened.get(i).close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    /** Every text encoder with its tokenizer, opened (each added to {@code opened} for closing on failure). */
    private static TextEmbedder textEmbedder(ModelBundle bundle, OrtRuntime runtime, String outsideLoop,
                                             List<AutoCloseable> opened) throws IOException {
        List<ModelBundle.TextEncoder> declared = bundle.textEncoders();
        List<TextEmbedder.Encoder> encoders = new ArrayList<>();
        for (int i = 0; i < declared.size(); i++) {
            ModelBundle.TextEncoder e = declared.get(i);
            ModelSpec.TokenizerSpec t = e.tokenizer();
            PromptTokenizer tokenizer = PromptTokenizer.open(e.tokenizerFile(), t.maxLength(), t.padId(),
                    Boolean.TRUE.equals(t.lowercase()));
            opened.add(tokenizer);
            String role = declared.size() == 1 ? "text encoder" : "text encoder " + (i + 1);
            GraphComponent graph = GraphComponent.whole(role, e.file(), runtime, outsideLoop);
            opened.add(graph);
            graph.requireDeclared(e.where(), e.file(), e.component());
            encoders.add(new TextEmbedder.Encoder(e.where(), tokenizer, graph, e.component()));
        }
        ModelSpec.TextEncoders several = bundle.spec().components().textEncoders();
        return new TextEmbedder(encoders, several == null ? null : several.combine(),
                several != null && Boolean.TRUE.equals(several.zerosForEmptyNegative()));
    }

    /**
     * The loop for this pipeline, decided once: the sample-resident loop where the denoiser runs on the device path
     * and takes a batch of 2 (guidance in one call), else the host loop (saying why the sample leaves the device
     * when the denoiser is on it).
     */
    private static DenoisingLoop chooseLoop(ModelBundle bundle, AttentionChoice attention, GraphComponent den,
                                            Denoiser denoiser) {
        boolean denoiserOnDevice = den.partitionedModel().map(m -> !m.memory().isHost()).orElse(false);
        if (!denoiserOnDevice || attention.device().isEmpty()) {
            return new HostDenoisingLoop(denoiser, Optional.empty());
        }
        if (denoiser.batchFixedToOne()) {
            return new HostDenoisingLoop(denoiser,
                    Optional.of("the denoiser's batch is fixed to 1 (two calls per guided step)"));
        }
        DeviceOnnxPath device = attention.device().get();
        // a run that waits for the stream cannot be recorded; the property turns recording off (e.g. to compare)
        boolean record = device.runtime().queuesRunsWithoutWaiting()
                && !"false".equalsIgnoreCase(System.getProperty(RECORD_STEPS_PROPERTY, "true"));
        return residentLoop(bundle, denoiser, device.runtime(),
                record ? Optional.of(device::recordResident) : Optional.empty());
    }

    /**
     * With this system property "false", the sample-resident loop runs every step segment by segment instead of
     * launching it as one recorded CUDA graph (which it does only where the device path's runs return once queued).
     */
    static final String RECORD_STEPS_PROPERTY = "sagestudio.devicePath.recordSteps";

    private static DeviceDenoisingLoop residentLoop(ModelBundle bundle, Denoiser denoiser, OrtRuntime stepRuntime,
                                                    Optional<DeviceDenoisingLoop.StepRecorder> recorder) {
        return new DeviceDenoisingLoop(denoiser.graph().partitionedModel().orElseThrow(),
                bundle.spec().components().denoiser(), stepRuntime, denoiser.sampleShape(), denoiser::textInputs,
                new HostDenoisingLoop(denoiser, Optional.empty()), recorder);
    }

    /**
     * Swaps in the sample-resident loop stepping with ONNX Runtime on {@code stepRuntime}: tests run it over host
     * memory, where it must give the host loop's result. Not for a denoiser whose batch is fixed to 1.
     */
    void residentLoop(OrtRuntime stepRuntime) {
        residentLoop(stepRuntime, Optional.empty());
    }

    /** As {@link #residentLoop(OrtRuntime)}, recording each generation's step with {@code recorder} (tests). */
    void residentLoop(OrtRuntime stepRuntime, Optional<DeviceDenoisingLoop.StepRecorder> recorder) {
        if (!denoiser.batchFixedToOne()) {
            loop.close();
            loop = residentLoop(bundle, denoiser, stepRuntime, recorder);
        }
    }

    public ModelBundle bundle() {
        return bundle;
    }

    public AttentionChoice attention() {
        return attention;
    }

    public Denoiser denoiser() {
        return denoiser;
    }

    public TextEmbedder textEmbedder() {
        return embedder;
    }

    /**
     * The memory budget above which the VAE decode runs in overlapping tiles, and the tiles' size and overlap, for
     * the generations from now on (default: {@link DecodeOptions#defaults()}, the memory available at decode time).
     */
    public void decodeOptions(DecodeOptions options) {
        decoder.options(options);
    }

    public DecodeOptions decodeOptions() {
        return decoder.options();
    }

    public boolean isOpen() {
        return !closed;
    }

    /** The scheduler configuration a request samples with (bundle's, with the request's override). */
    public SchedulerConfig schedulerConfig(GenerationRequest request) {
        SchedulerConfig config = bundle.schedulerConfig();
        if (request.scheduler() != null && request.scheduler() != config.name()) {
            try {
                config = config.withName(request.scheduler());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("scheduler " + request.scheduler().jsonName() + " cannot sample "
                        + bundle.spec().name() + ": " + e.getMessage(), e);
            }
        }
        return config;
    }

    /** Generates without progress reporting or cancellation. */
    public GenerationResult generate(GenerationRequest request) {
        return generate(request, ProgressListener.NONE, new CancellationToken());
    }

    /**
     * Generates for {@code request}, reporting each step to {@code listener}.
     *
     * @throws GenerationCancelledException when {@code cancel} is cancelled; the run stops before the next step (or
     *                                      between the two halves of a guided step run as separate calls)
     * @throws dev.sagestudio.models.fidelity.NonFiniteOutputException when the output holds NaN or Inf (it carries
     *                                      the result, and says where the first non-finite value appeared)
     */
    public GenerationResult generate(GenerationRequest request, ProgressListener listener, CancellationToken cancel) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(cancel, "cancel");
        if (closed) {
            throw new IllegalStateException("this pipeline has been closed");
        }
        long start = System.nanoTime();
        fidelity.begin();
        String attentionName = attention.backend() == null ? attention.requested() : attention.backend().name();
        // 1. check inputs: the request's settings over the model's defaults
        Settings settings = settings(request);
        cancel.throwIfCancelled(0, settings.steps());
        // 2. encode the prompt (and the negative prompt when guided)
        List<String> notes = new ArrayList<>();
        TextEmbedder.Embedding cond = embedder.embed(request.prompt());
        note(notes, "prompt", cond.tokens());
        List<TextCondition> contexts = new ArrayList<>(List.of(cond.condition()));
        if (settings.guidance() != 1.0) {
            TextEmbedder.Embedding uncond = embedder.embedNegative(settings.negativePrompt(), cond);
            note(notes, "negative prompt", uncond.tokens());
            contexts.add(uncond.condition());
        }
        long textNanos = System.nanoTime() - start;
        // 3. prepare the noise
        SeededNoise noise = new SeededNoise(request.seed());
        float[] initial = initialSample(noise, settings.scheduler());
        // 4. the loop
        DenoisingLoop.Outcome outcome = loop.run(new DenoisingLoop.Context(settings.scheduler(),
                settings.config().name().jsonName(), noise, initial, contexts,
                settings.guidance(), request.previewEvery(), listener, cancel, start, decoder::decode,
                new DenoisingLoop.StepWatch() {
                    @Override
                    public void beforeStep(int step) {
                        fidelity.beforeStep(step);
                    }

                    @Override
                    public void afterStep(int step, float[] sample) {
                        fidelity.checkSample(sample, step, attentionName);
                    }
                }));
        // a loop that kept the sample on the GPU is checked once, at the end (its attention outputs on the device)
        fidelity.checkSample(outcome.sample(), settings.steps() - 1, attentionName);
        notes.addAll(outcome.notes());
        // 5. decode
        long d0 = System.nanoTime();
        float[] output = decoder.decode(outcome.sample());
        long decodeNanos = System.nanoTime() - d0;
        decoder.lastNote().ifPresent(notes::add);
        // 6. report
        ExecutionReport execution = report(outcome.attentionCalls());
        notes.addAll(fidelity.fallbacks());
        List<Double> range = bundle.spec().output().valueRange();
        ModelSpec.SampleSpec s = bundle.spec().sample();
        GenerationResult result = new GenerationResult(bundle.spec().name(), bundle.spec().kind(), request.prompt(),
                settings.negativePrompt(), request.seed(), settings.steps(), settings.guidance(),
                settings.config().name(), output, frames, s.height(), s.width(), range.get(0), range.get(1),
                s.fps() == null ? 8 : s.fps(), execution, textNanos, decodeNanos, System.nanoTime() - start,
                outcome.timings(), List.copyOf(notes));
        fidelity.requireFinite(output, result);
        return result;
    }

    /** A request's settings with the model's defaults filled in, and its scheduler set to its timesteps. */
    private record Settings(int steps, double guidance, String negativePrompt, SchedulerConfig config,
                            Scheduler scheduler) {
    }

    private Settings settings(GenerationRequest request) {
        ModelSpec spec = bundle.spec();
        int steps = request.steps() != null ? request.steps() : spec.defaults().steps();
        double guidance = request.guidanceScale() != null ? request.guidanceScale() : spec.defaults().guidanceScale();
        String negative = request.negativePrompt() != null ? request.negativePrompt()
                : spec.defaults().negativePrompt() == null ? "" : spec.defaults().negativePrompt();
        SchedulerConfig config = schedulerConfig(request);
        Scheduler scheduler = config.create();
        scheduler.setTimesteps(steps);
        return new Settings(steps, guidance, negative, config, scheduler);
    }

    /** Seeded noise of the sample's size, scaled by the scheduler's initial sigma. */
    private float[] initialSample(SeededNoise noise, Scheduler scheduler) {
        float[] x = noise.next(denoiser.sampleSize());
        float sigma = (float) scheduler.initNoiseSigma();
        if (sigma != 1f) {
            for (int i = 0; i < x.length; i++) {
                x[i] *= sigma;
            }
        }
        return x;
    }

    /** What ran: per graph the substituted nodes and those kept in ONNX Runtime, the providers, the loop. */
    private ExecutionReport report(long attentionCalls) {
        Map<String, Long> substituted = new LinkedHashMap<>();
        List<String> kept = new ArrayList<>();
        for (GraphComponent g : graphs()) {
            substituted.put(g.role(), g.substitutedAttentionNodes());
            kept.addAll(g.keptAttention());
            g.attentionFallbacks().forEach(f -> kept.add("FALLBACK: " + f));
        }
        String providers = attention.device().map(d -> d.runtime().provider() + " (denoiser, on the device path), "
                + runtime.provider() + " (text encoder, decoder)").orElse(runtime.provider().toString());
        return new ExecutionReport(attention, attentionCalls, substituted, kept, providers, runtime.fallbackReason(),
                loop.describe());
    }

    /** Truncation and unknown pieces, per text encoder's tokenizer (named where there are several). */
    private void note(List<String> notes, String which, List<PromptTokenizer.Tokens> perEncoder) {
        for (int i = 0; i < perEncoder.size(); i++) {
            PromptTokenizer.Tokens tokens = perEncoder.get(i);
            String label = embedder.graphs().size() == 1 ? which : which + " (text encoder " + (i + 1) + ")";
            if (tokens.truncated()) {
                notes.add(label + " truncated: " + tokens.originalLength() + " tokens, the model reads the first "
                        + tokens.length());
            }
            tokens.unknownNote().ifPresent(n -> notes.add(label + ": " + n));
        }
    }

    private List<GraphComponent> graphs() {
        List<GraphComponent> all = new ArrayList<>(embedder.graphs());
        all.add(denoiser.graph());
        decoder.graph().ifPresent(all::add);
        return all;
    }

    /** Closes every ONNX Runtime session and the tokenizer; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            loop.close();
            embedder.close();
        } finally {
            try {
                denoiser.close();
            } finally {
                decoder.close();
            }
        }
    }
}
