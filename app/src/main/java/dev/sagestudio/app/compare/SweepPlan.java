package dev.sagestudio.app.compare;

import dev.sagestudio.models.pipeline.GenerationRequest;
import java.util.List;
import java.util.Objects;

/**
 * A sweep: the same request through several attention backends (the columns; the first is the reference the others
 * are measured against) for several seeds or step counts (the rows).
 *
 * @param base the request every cell starts from
 * @param backends the backend names, reference first
 * @param axis what the rows vary
 * @param values one row per value (seeds, or step counts)
 */
public record SweepPlan(GenerationRequest base, List<String> backends, Axis axis, List<Long> values) {

    /** What the rows vary. */
    public enum Axis {
        SEEDS("seed"), STEPS("steps");

        private final String label;

        Axis(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    public SweepPlan {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(axis, "axis");
        backends = List.copyOf(backends);
        values = List.copyOf(values);
        if (backends.isEmpty() || values.isEmpty()) {
            throw new IllegalArgumentException("a sweep needs at least one backend and one " + axis.label() + " value");
        }
        if (axis == Axis.STEPS) {
            for (long v : values) {
                if (v < 1 || v > 1000) {
                    throw new IllegalArgumentException("step counts must be between 1 and 1000, got " + v);
                }
            }
        }
    }

    /** The request of row {@code row}. */
    public GenerationRequest request(int row) {
        long v = values.get(row);
        return axis == Axis.SEEDS ? base.withSeed(v) : base.withSteps((int) v);
    }
}
