package dev.sagestudio.models.pipeline;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.bundle.ModelSpec;
import dev.sagestudio.models.fidelity.FidelityGuard;
import dev.sagestudio.models.noise.SeededNoise;
import dev.sagestudio.models.onnx.AttentionNode;
import dev.sagestudio.models.runtime.OrtRuntime;
import dev.sagestudio.models.runtime.RunResult;
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
    /** The loop with the sample on the GPU; null unless the denoiser runs on the device path with a dynamic batch. */
    private DeviceDenoisingLoop deviceLoop;
    private boolean closed;

    private DiffusionPipeline(ModelBundle bundle, AttentionChoice attention, OrtRuntime runtime, TextEmbedder embedder,
                              Denoiser denoiser, SampleDecoder decoder, int frames, FidelityGuard fidelity) {
        this.bundle = bundle;
        this.attention = attention;
        this.runtime = runtime;
        this.embedder = embedder;
        this.denoiser = denoiser;
        this.decoder = decoder;
        this.frames = frames;
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
        long[] sampleShape = video ? new long[] {s.channels(), frames, h, w} : new long[] {s.channels(), h, w};
        List<AutoCloseable> opened = new ArrayList<>();
        FidelityGuard fidelity = new FidelityGuard();
        List<String> guardedNodes = new ArrayList<>();
        try {
            PromptTokenizer tokenizer = PromptTokenizer.forBundle(bundle);
            opened.add(tokenizer);
            String outsideLoop = "the chosen backend runs the denoiser's attention";
            GraphComponent text = GraphComponent.whole("text encoder", bundle.textEncoderFile(), runtime, outsideLoop);
            opened.add(text);
            text.requireDeclared("components.textEncoder", bundle.textEncoderFile(), spec.components().textEncoder());
            TextEmbedder embedder = new TextEmbedder(tokenizer, text, spec.components().textEncoder());
            GraphComponent den;
            if (attention.isOnnxRuntime()) {
                den = GraphComponent.whole("denoiser", bundle.denoiserFile(), runtime, "--backend "
                        + AttentionChoice.ONNX_RUNTIME + " chosen");
            } else if (attention.device().isPresent() && denoiserAttention == attention.backend()) {
                den = GraphComponent.onDevice("denoiser", bundle.denoiserFile(), attention.device().get());
            } else {
                // Host path; also a device-path choice whose attention is wrapped (activation capture).
                den = GraphComponent.partitioned("denoiser", bundle.denoiserFile(),
                        fidelity.guard(denoiserAttention, () -> guardedNodes), attention.shapeFallback(), runtime);
                den.plan().attentionNodes().stream().filter(AttentionNode::substituted)
                        .forEach(n -> guardedNodes.add(n.label()));
            }
            opened.add(den);
            den.requireDeclared("components.denoiser", bundle.denoiserFile(), spec.components().denoiser());
            Denoiser denoiser = new Denoiser(den, spec.components().denoiser(), sampleShape);
            Optional<GraphComponent> vae = Optional.empty();
            if (bundle.vaeDecoderFile().isPresent()) {
                vae = Optional.of(GraphComponent.whole("VAE decoder", bundle.vaeDecoderFile().get(), runtime,
                        outsideLoop));
                opened.add(vae.get());
                vae.get().requireDeclared("components.vaeDecoder", bundle.vaeDecoderFile().get(),
                        spec.components().vaeDecoder());
            }
            SampleDecoder decoder = new SampleDecoder(vae, spec.components().vaeDecoder(), s.channels(), frames, h, w,
                    s.height(), s.width(), video);
            DiffusionPipeline pipeline = new DiffusionPipeline(bundle, attention, runtime, embedder, denoiser,
                    decoder, frames, fidelity);
            if (attention.device().isPresent() && den.partitionedModel().isPresent()
                    && !den.partitionedModel().get().memory().isHost()) {
                pipeline.residentLoop(attention.device().get().runtime());
            }
            return pipeline;
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

    /**
     * Keeps the sample in the denoiser's memory through the loop, stepping with ONNX Runtime on {@code stepRuntime}
     * (the device path's CUDA runtime). Tests also use it over host memory, where it must give the host loop's
     * result. Not for a denoiser whose batch is fixed to 1.
     */
    void residentLoop(OrtRuntime stepRuntime) {
        if (!denoiser.batchFixedToOne()) {
            deviceLoop = new DeviceDenoisingLoop(denoiser.graph().partitionedModel().orElseThrow(),
                    bundle.spec().components().denoiser(), stepRuntime, denoiser.sampleShape());
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
        ModelSpec spec = bundle.spec();
        int steps = request.steps() != null ? request.steps() : spec.defaults().steps();
        double guidance = request.guidanceScale() != null ? request.guidanceScale() : spec.defaults().guidanceScale();
        String negative = request.negativePrompt() != null ? request.negativePrompt()
                : spec.defaults().negativePrompt() == null ? "" : spec.defaults().negativePrompt();
        SchedulerConfig config = schedulerConfig(request);
        Scheduler scheduler = config.create();
        scheduler.setTimesteps(steps);
        float[] timesteps = scheduler.timesteps();
        cancel.throwIfCancelled(0, steps);

        long attentionCalls = 0;
        List<String> notes = new ArrayList<>();
        TextEmbedder.Embedding cond = embedder.embed(request.prompt());
        note(notes, "prompt", cond.tokens());
        List<float[]> contexts = new ArrayList<>(List.of(cond.hiddenStates()));
        boolean guided = guidance != 1.0;
        if (guided) {
            TextEmbedder.Embedding uncond = embedder.embed(negative);
            note(notes, "negative prompt", uncond.tokens());
            contexts.add(uncond.hiddenStates());
        }
        long textNanos = System.nanoTime() - start;

        SeededNoise noise = new SeededNoise(request.seed());
        float[] x = noise.next(denoiser.sampleSize());
        float sigma = (float) scheduler.initNoiseSigma();
        if (sigma != 1f) {
            for (int i = 0; i < x.length; i++) {
                x[i] *= sigma;
            }
        }
        List<StepTiming> timings = new ArrayList<>(steps);
        boolean denoiserOnDevice = denoiser.graph().partitionedModel().map(m -> !m.memory().isHost()).orElse(false);
        Optional<String> hostLoopReason = deviceLoop != null
                ? DeviceDenoisingLoop.unsupported(scheduler, steps, config.name().jsonName())
                : denoiserOnDevice
                ? Optional.of("the denoiser's batch is fixed to 1 (two calls per guided step)") : Optional.empty();
        if (deviceLoop != null && hostLoopReason.isEmpty()) {
            DeviceDenoisingLoop.Outcome outcome = deviceLoop.run(scheduler, x, contexts, cond.length(),
                    cond.hiddenSize(), guided ? guidance : 1, request.previewEvery() > 0, request.previewEvery(),
                    listener, cancel, start, decoder::decode);
            x = outcome.sample();
            fidelity.checkSample(x, steps - 1, attentionName);
            timings.addAll(outcome.timings());
            attentionCalls += outcome.attentionCalls();
        } else {
            hostLoopReason.ifPresent(r -> notes.add("device path with the sampler on the host: the sample goes up"
                    + " and the denoiser's output comes down at every step, because " + r));
            for (int i = 0; i < steps; i++) {
                cancel.throwIfCancelled(i, steps);
                listener.beforeStep(i, steps);
                fidelity.beforeStep(i);
                long t0 = System.nanoTime();
                final int done = i;
                Denoiser.Prediction p = denoiser.predict(scheduler.scaleModelInput(x, i), timesteps[i], contexts,
                        cond.length(), cond.hiddenSize(), () -> cancel.throwIfCancelled(done, steps));
                long t1 = System.nanoTime();
                float[] out = guided ? ClassifierFreeGuidance.combine(p.outputs().get(0), p.outputs().get(1), guidance)
                        : p.outputs().get(0);
                Scheduler.StepResult r = scheduler.step(out, i, x, noise);
                x = r.prevSample();
                fidelity.checkSample(x, i, attentionName);
                long t2 = System.nanoTime();
                attentionCalls += p.attentionCalls();
                StepTiming timing = new StepTiming(t2 - t0, p.ortNanos(), p.attentionNanos(), t2 - t1, p.runs().size(),
                        p.attentionCalls(), p.copies(), p.copiedBytes());
                timings.add(timing);
                boolean preview = request.previewEvery() > 0
                        && ((i + 1) % request.previewEvery() == 0 || i == steps - 1)
                        && r.predictedOriginalSample() != null;
                Optional<float[]> image = preview ? Optional.of(decoder.decode(r.predictedOriginalSample()))
                        : Optional.empty();
                listener.onStep(new StepEvent(i, steps, timesteps[i], timing, System.nanoTime() - start, image));
            }
        }
        long d0 = System.nanoTime();
        float[] output = decoder.decode(x);
        long decodeNanos = System.nanoTime() - d0;

        Map<String, Long> substituted = new LinkedHashMap<>();
        List<String> kept = new ArrayList<>();
        for (GraphComponent g : graphs()) {
            substituted.put(g.role(), g.substitutedAttentionNodes());
            kept.addAll(g.keptAttention());
            g.attentionFallbacks().forEach(f -> kept.add("FALLBACK: " + f));
        }
        String providers = attention.device().map(d -> d.runtime().provider() + " (denoiser, on the device path), "
                + runtime.provider() + " (text encoder, decoder)").orElse(runtime.provider().toString());
        ExecutionReport execution = new ExecutionReport(attention, attentionCalls, substituted, kept, providers,
                runtime.fallbackReason());
        notes.addAll(fidelity.fallbacks());
        List<Double> range = spec.output().valueRange();
        ModelSpec.SampleSpec s = spec.sample();
        GenerationResult result = new GenerationResult(spec.name(), spec.kind(), request.prompt(), negative,
                request.seed(), steps, guidance, config.name(), output, frames, s.height(), s.width(), range.get(0),
                range.get(1), s.fps() == null ? 8 : s.fps(), execution, textNanos, decodeNanos,
                System.nanoTime() - start, List.copyOf(timings), List.copyOf(notes));
        fidelity.requireFinite(output, result);
        return result;
    }

    private static void note(List<String> notes, String which, PromptTokenizer.Tokens tokens) {
        if (tokens.truncated()) {
            notes.add(which + " truncated: " + tokens.originalLength() + " tokens, the model reads the first "
                    + tokens.length());
        }
        tokens.unknownNote().ifPresent(n -> notes.add(which + ": " + n));
    }

    private List<GraphComponent> graphs() {
        List<GraphComponent> all = new ArrayList<>(List.of(embedder.graph(), denoiser.graph()));
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
            if (deviceLoop != null) {
                deviceLoop.close();
            }
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
