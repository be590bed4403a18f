package dev.sagestudio.app.doctor;

import java.util.Objects;

/**
 * One thing the GPU path needs, what was found for it, and what its absence costs.
 *
 * @param name  what is needed, e.g. {@code cuDNN 9 (libcudnn.so.9)}
 * @param met   whether this machine has it
 * @param found what was found (a version, a path) or why nothing was
 * @param cost  what runs differently without it; empty when met
 */
public record Requirement(String name, boolean met, String found, String cost) {
    public Requirement {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(found, "found");
        Objects.requireNonNull(cost, "cost");
    }

    static Requirement met(String name, String found) {
        return new Requirement(name, true, found, "");
    }

    static Requirement missing(String name, String found, String cost) {
        return new Requirement(name, false, found, cost);
    }
}
