package dev.sagestudio.attention.catalog;

import java.util.Objects;
import java.util.Optional;

/**
 * Whether one backend runs on this machine, and why not when it does not.
 *
 * @param backend  the backend
 * @param whyNot   the reason it cannot run here (no driver, compute capability too low, no kernels in this build);
 *                 empty when it runs
 * @param note     how it runs when that differs from the usual (e.g. through the kernels' host API because the CUDA
 *                 EP is missing); empty otherwise
 */
public record Availability(BackendDescriptor backend, Optional<String> whyNot, Optional<String> note) {

    public Availability {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(whyNot, "whyNot");
        Objects.requireNonNull(note, "note");
    }

    /** Whether the backend runs here. */
    public boolean runsHere() {
        return whyNot.isEmpty();
    }
}
