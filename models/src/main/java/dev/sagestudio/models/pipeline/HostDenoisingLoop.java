package dev.sagestudio.models.pipeline;

import dev.sagestudio.models.scheduler.Scheduler;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The loop on the host: per step the sample goes into the denoiser and its output comes back; guidance and the
 * scheduler's step run in Java.
 */
final class HostDenoisingLoop implements DenoisingLoop {
    private final Denoiser denoiser;
    private final Optional<String> whyNotOnDevice;

    /**
     * @param whyNotOnDevice when the denoiser itself runs on the device path, why the sample still goes through the
     *                       host at every step (said in every run's notes); empty on the host path
     */
    HostDenoisingLoop(Denoiser denoiser, Optional<String> whyNotOnDevice) {
        this.denoiser = denoiser;
        this.whyNotOnDevice = whyNotOnDevice;
    }

    /** Said when the denoiser runs on the device path but the sampler runs here. */
    static String samplerOnTheHost(String because) {
        return "device path with the sampler on the host: the sample goes up and the denoiser's output comes down at"
                + " every step, because " + because;
    }

    @Override
    public Outcome run(Context c) {
        List<String> notes = new ArrayList<>();
        whyNotOnDevice.ifPresent(r -> notes.add(samplerOnTheHost(r)));
        return run(c, notes);
    }

    /** Runs the loop with {@code notes} already said about this run. */
    Outcome run(Context c, List<String> notes) {
        Scheduler scheduler = c.scheduler();
        float[] timesteps = scheduler.timesteps();
        int steps = c.steps();
        float[] x = c.initial();
        long attentionCalls = 0;
        List<StepTiming> timings = new ArrayList<>(steps);
        for (int i = 0; i < steps; i++) {
            c.cancel().throwIfCancelled(i, steps);
            c.listener().beforeStep(i, steps);
            c.watch().beforeStep(i);
            long t0 = System.nanoTime();
            final int done = i;
            Denoiser.Prediction p = denoiser.predict(scheduler.scaleModelInput(x, i), timesteps[i], c.contexts(),
                    () -> c.cancel().throwIfCancelled(done, steps));
            long t1 = System.nanoTime();
            float[] out = c.guided() ? ClassifierFreeGuidance.combine(p.outputs().get(0), p.outputs().get(1),
                    c.guidance()) : p.outputs().get(0);
            Scheduler.StepResult r = scheduler.step(out, i, x, c.noise());
            x = r.prevSample();
            c.watch().afterStep(i, x);
            long t2 = System.nanoTime();
            attentionCalls += p.attentionCalls();
            StepTiming timing = new StepTiming(t2 - t0, p.ortNanos(), p.attentionNanos(), t2 - t1, p.runs().size(),
                    p.attentionCalls(), p.copies(), p.copiedBytes());
            timings.add(timing);
            boolean preview = c.previewAt(i) && r.predictedOriginalSample() != null;
            Optional<float[]> image = preview ? Optional.of(c.decode().apply(r.predictedOriginalSample()))
                    : Optional.empty();
            c.listener().onStep(new StepEvent(i, steps, timesteps[i], timing, System.nanoTime() - c.start(), image));
        }
        return new Outcome(x, timings, attentionCalls, notes);
    }

    @Override
    public String describe() {
        return whyNotOnDevice.map(r -> "host loop (" + samplerOnTheHost(r) + ")")
                .orElse("host loop: the denoiser runs in host memory, the sampler in Java");
    }

    @Override
    public void close() {
        // the denoiser belongs to the pipeline
    }
}
