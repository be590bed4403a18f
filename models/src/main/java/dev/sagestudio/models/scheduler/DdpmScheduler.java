package dev.sagestudio.models.scheduler;

/** Shared part of the schedulers of the DDPM family (epsilon or v prediction over discrete timesteps). */
abstract class DdpmScheduler implements Scheduler {

    final SchedulerConfig config;
    final NoiseSchedule schedule;
    int[] steps = new int[0];

    DdpmScheduler(SchedulerConfig config) {
        if (config.prediction() == PredictionType.FLOW) {
            throw new IllegalArgumentException(config.name().jsonName() + " cannot sample flow prediction");
        }
        this.config = config;
        this.schedule = new NoiseSchedule(config);
    }

    @Override
    public void setTimesteps(int count) {
        steps = NoiseSchedule.timesteps(config.spacing(), config.numTrainTimesteps(), count);
    }

    @Override
    public float[] timesteps() {
        return NoiseSchedule.asFloats(steps);
    }

    /** ᾱ at step {@code i}; 1 after the last step (diffusers' set_alpha_to_one / final sigma 0). */
    double alphaCumprodAt(int i) {
        return i < steps.length ? schedule.alphaCumprod(steps[i]) : 1.0;
    }

    void check(float[] modelOutput, int stepIndex, float[] sample) {
        Predictions.checkIndex(stepIndex, steps.length);
        Predictions.checkLengths(modelOutput, sample);
    }
}
