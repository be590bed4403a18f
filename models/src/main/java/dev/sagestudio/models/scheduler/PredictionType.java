package dev.sagestudio.models.scheduler;

/** What the denoiser outputs (see docs/model-bundle.md). */
public enum PredictionType implements JsonName {
    /** The noise ε. */
    EPSILON,
    /** v = α_t·ε − σ_t·x0. */
    V,
    /** Rectified-flow velocity dx/dσ = ε − x0, with x_σ = (1−σ)·x0 + σ·ε. */
    FLOW
}
