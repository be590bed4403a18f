package dev.sagestudio.models.scheduler;

import java.util.Objects;

/**
 * Everything a scheduler needs; the meaning of each field is in docs/model-bundle.md ("prediction and scheduler").
 * {@code eta} is DDIM's noise amount (0 = deterministic).
 */
public record SchedulerConfig(SchedulerName name, PredictionType prediction, int numTrainTimesteps,
        BetaSchedule betaSchedule, double betaStart, double betaEnd, TimestepSpacing spacing, double shift, double eta) {

    public SchedulerConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(prediction, "prediction");
        if (name.isFlow() != (prediction == PredictionType.FLOW)) {
            throw new IllegalArgumentException(name.jsonName() + " cannot sample a model with prediction "
                    + prediction.jsonName());
        }
        if (numTrainTimesteps < 1) {
            throw new IllegalArgumentException("numTrainTimesteps must be >= 1, got " + numTrainTimesteps);
        }
        if (!name.isFlow()) {
            Objects.requireNonNull(betaSchedule, "betaSchedule");
            Objects.requireNonNull(spacing, "spacing");
        }
        if (!(shift > 0) || !(eta >= 0)) {
            throw new IllegalArgumentException("need shift > 0 and eta >= 0, got " + shift + " and " + eta);
        }
    }

    /** A DDPM-family configuration with diffusers' defaults for the rest (trailing spacing, eta 0). */
    public static SchedulerConfig ddpm(SchedulerName name, PredictionType prediction, BetaSchedule schedule,
            double betaStart, double betaEnd) {
        return new SchedulerConfig(name, prediction, 1000, schedule, betaStart, betaEnd, TimestepSpacing.TRAILING,
                1.0, 0.0);
    }

    /** A flow-matching configuration. */
    public static SchedulerConfig flow(int numTrainTimesteps, double shift) {
        return new SchedulerConfig(SchedulerName.FLOW_EULER, PredictionType.FLOW, numTrainTimesteps, null, 0, 0, null,
                shift, 0.0);
    }

    public SchedulerConfig withName(SchedulerName other) {
        return new SchedulerConfig(other, prediction, numTrainTimesteps, betaSchedule, betaStart, betaEnd, spacing,
                shift, eta);
    }

    public SchedulerConfig withSpacing(TimestepSpacing other) {
        return new SchedulerConfig(name, prediction, numTrainTimesteps, betaSchedule, betaStart, betaEnd, other,
                shift, eta);
    }

    public SchedulerConfig withEta(double other) {
        return new SchedulerConfig(name, prediction, numTrainTimesteps, betaSchedule, betaStart, betaEnd, spacing,
                shift, other);
    }

    /** A new scheduler of this configuration. */
    public Scheduler create() {
        return switch (name) {
            case DDIM -> new DdimScheduler(this);
            case EULER -> new EulerScheduler(this);
            case EULER_ANCESTRAL -> new EulerAncestralScheduler(this);
            case DPMPP_2M -> new DpmSolverPlusPlus2MScheduler(this);
            case FLOW_EULER -> new FlowMatchEulerScheduler(this);
        };
    }
}
