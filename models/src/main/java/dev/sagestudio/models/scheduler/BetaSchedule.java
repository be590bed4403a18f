package dev.sagestudio.models.scheduler;

/** Beta schedules of the DDPM family (formulas in docs/model-bundle.md and {@link NoiseSchedule}). */
public enum BetaSchedule implements JsonName {
    LINEAR, SCALED_LINEAR, SQUAREDCOS_CAP_V2
}
