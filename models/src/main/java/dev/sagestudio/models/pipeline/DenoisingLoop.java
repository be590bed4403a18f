package dev.sagestudio.models.pipeline;

import dev.sagestudio.models.noise.SeededNoise;
import dev.sagestudio.models.scheduler.Scheduler;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * The scheduler loop around the denoiser: from the initial noise to the final sample, step by step with
 * classifier-free guidance. Chosen once when the pipeline opens ({@link #describe()} says which and why, for the
 * report): on the host ({@link HostDenoisingLoop}), or with the sample kept in GPU memory
 * ({@link DeviceDenoisingLoop}).
 */
interface DenoisingLoop extends AutoCloseable {

    /**
     * What one generation hands the loop.
     *
     * @param scheduler     set to its timesteps
     * @param schedulerName the scheduler's name, for messages
     * @param noise         the generation's noise source (the initial sample was drawn from it; ancestral samplers
     *                      draw more)
     * @param initial       the initial sample (one, without batch), already scaled by the scheduler
     * @param contexts      one text condition each: conditional, then unconditional when guided
     * @param guidance      the guidance scale; 1 means unguided (one context)
     * @param previewEvery  decode a preview of the predicted clean sample every this many steps (and at the last);
     *                      0 for none
     * @param listener      told before and after every step
     * @param cancel        checked before every step
     * @param start         {@link System#nanoTime()} when the generation began (events carry the elapsed time)
     * @param decode        turns a sample into pixels, for previews
     * @param watch         told of every step and given the sample after it, where the loop has it on the host
     *                      (the fidelity guard)
     */
    record Context(Scheduler scheduler, String schedulerName, SeededNoise noise, float[] initial,
                   List<TextCondition> contexts, double guidance, int previewEvery,
                   ProgressListener listener, CancellationToken cancel, long start, UnaryOperator<float[]> decode,
                   StepWatch watch) {

        public Context {
            Objects.requireNonNull(scheduler, "scheduler");
            Objects.requireNonNull(noise, "noise");
            Objects.requireNonNull(initial, "initial");
            contexts = List.copyOf(contexts);
            Objects.requireNonNull(listener, "listener");
            Objects.requireNonNull(cancel, "cancel");
            Objects.requireNonNull(decode, "decode");
            Objects.requireNonNull(watch, "watch");
        }

        boolean guided() {
            return guidance != 1.0;
        }

        int steps() {
            return scheduler.timesteps().length;
        }

        /** Whether step {@code i} (0-based) shows a preview. */
        boolean previewAt(int i) {
            return previewEvery > 0 && ((i + 1) % previewEvery == 0 || i == steps() - 1);
        }
    }

    /** Watches the loop step by step (the fidelity guard). */
    interface StepWatch {
        /** Step {@code step} (0-based) is about to run; every loop says so. */
        void beforeStep(int step);

        /**
         * {@code sample} is the sample after step {@code step}; it must not be changed. Only a loop that has the
         * sample on the host calls this (the device loop keeps it on the GPU until the end).
         */
        void afterStep(int step, float[] sample);
    }

    /**
     * What the loop leaves.
     *
     * @param sample         the final sample, on the host
     * @param timings        one per step
     * @param attentionCalls substituted attention calls the denoiser made
     * @param notes          what the user should know about how this run's loop ran (e.g. why the sampler ran on
     *                       the host)
     */
    record Outcome(float[] sample, List<StepTiming> timings, long attentionCalls, List<String> notes) {
        public Outcome {
            timings = List.copyOf(timings);
            notes = List.copyOf(notes);
        }
    }

    /** Runs the whole loop. */
    Outcome run(Context context);

    /** Which loop this is and why it was chosen, in one line. */
    String describe();

    @Override
    void close();
}
