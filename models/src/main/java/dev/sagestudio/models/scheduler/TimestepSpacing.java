package dev.sagestudio.models.scheduler;

/** How the inference timesteps are picked from the training ones, as diffusers' {@code timestep_spacing}. */
public enum TimestepSpacing implements JsonName {
    LEADING, TRAILING, LINSPACE
}
