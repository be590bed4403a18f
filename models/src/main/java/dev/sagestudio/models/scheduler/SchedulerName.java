package dev.sagestudio.models.scheduler;

/** The schedulers we implement. */
public enum SchedulerName implements JsonName {
    DDIM, EULER, EULER_ANCESTRAL, DPMPP_2M, FLOW_EULER;

    /** Whether this scheduler samples flow-prediction models (and only those). */
    public boolean isFlow() {
        return this == FLOW_EULER;
    }
}
