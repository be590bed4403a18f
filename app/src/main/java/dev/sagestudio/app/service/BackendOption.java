package dev.sagestudio.app.service;

import java.util.Optional;

/**
 * One attention backend as the picker lists it.
 *
 * @param name the name a run asks for (e.g. {@code sage-int8-fp16})
 * @param description what it is, in a few words
 * @param gpu whether it needs an NVIDIA GPU
 * @param unavailableReason why this machine cannot run it; empty when it can
 * @param note how it runs here when that differs from the usual (e.g. through the kernels' host API because ONNX
 *             Runtime's CUDA EP cannot start); empty otherwise
 */
public record BackendOption(String name, String description, boolean gpu, Optional<String> unavailableReason,
                            Optional<String> note) {

    public boolean available() {
        return unavailableReason.isEmpty();
    }

    /** The picker's tooltip: what it is, and why it cannot run here if it cannot, or how it runs if unusually. */
    public String availabilityText() {
        return unavailableReason.map(r -> name + " cannot run here: " + r)
                .orElse(name + ": " + description + (gpu ? " (GPU)" : " (CPU)") + note.map(n -> ". " + n).orElse(""));
    }
}
