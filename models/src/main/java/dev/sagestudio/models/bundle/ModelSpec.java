package dev.sagestudio.models.bundle;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sagestudio.models.scheduler.BetaSchedule;
import dev.sagestudio.models.scheduler.JsonName;
import dev.sagestudio.models.scheduler.PredictionType;
import dev.sagestudio.models.scheduler.SchedulerName;
import dev.sagestudio.models.scheduler.TimestepSpacing;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The content of model.json, schemaVersion 1 or 2, exactly as docs/model-bundle.md describes it.
 * Fields are boxed so that a missing one is seen (null) and reported by {@link BundleValidator}.
 */
public record ModelSpec(
        Integer schemaVersion,
        String name,
        String displayName,
        String description,
        Kind kind,
        Components components,
        TokenizerSpec tokenizer,
        PredictionType prediction,
        SchedulerSpec scheduler,
        Defaults defaults,
        SampleSpec sample,
        OutputSpec output,
        LicenseSpec license,
        TrainingRecord training,
        ObjectNode extensions) {

    /**
     * The schema versions this code reads: 2 adds the latent video decoder ({@code vaeDecoder.temporalScale}) and
     * several text encoders ({@code components.textEncoders}).
     */
    public static final List<Integer> SCHEMA_VERSIONS = List.of(1, 2);

    /** The denoiser's input role for the pooled text embedding of several text encoders (schemaVersion 2). */
    public static final String POOLED_TEXT_ROLE = "pooled_text_embeds";

    /** The denoiser's input role for SDXL's size conditioning (schemaVersion 2, {@code combine: sdxl}). */
    public static final String TIME_IDS_ROLE = "time_ids";

    /** SDXL's size conditioning per prompt: original height, width; crop top, left; target height, width. */
    public static final int TIME_ID_COUNT = 6;

    /** The version the latest format features need. */
    public static final int LATEST_SCHEMA_VERSION = 2;

    /**
     * Frames of the denoiser's sample: {@code sample.frames} (1 for images), or for a latent video decoder that
     * expands time ({@code temporalScale} s > 1) {@code (frames - 1) / s + 1}, as causal video VAEs encode the first
     * frame alone and every s following frames together.
     */
    public int latentFrames() {
        int frames = sample().frames() == null ? 1 : sample().frames();
        int scale = components().vaeDecoder() == null ? 1 : components().vaeDecoder().temporalScaleOrOne();
        return (frames - 1) / scale + 1;
    }

    /** What the model generates. */
    public enum Kind implements JsonName {
        IMAGE, VIDEO
    }

    /** Element types a component's inputs and outputs may declare. */
    public enum TensorDType implements JsonName {
        FLOAT32, FLOAT16, INT64, INT32
    }

    /**
     * The graphs. The prompt is encoded either by one {@code textEncoder} (with the top-level {@code tokenizer}) or,
     * from schemaVersion 2, by several {@code textEncoders} whose outputs are combined.
     */
    public record Components(Component textEncoder, TextEncoders textEncoders, Component denoiser,
            Component vaeDecoder) {
    }

    /**
     * Several text encoders (schemaVersion 2), each with its own tokenizer, and the rule that combines their outputs
     * into the denoiser's {@code encoder_hidden_states} and {@code pooled_text_embeds}.
     *
     * @param zerosForEmptyNegative an empty negative prompt gives all-zero text inputs instead of encoding "" (SDXL's
     *                              {@code force_zeros_for_empty_prompt})
     */
    public record TextEncoders(TextCombine combine, List<TextEncoderSpec> encoders, Boolean zerosForEmptyNegative) {
    }

    /**
     * One of several text encoders: roles {@code input_ids} (and optional {@code attention_mask}) in,
     * {@code hidden_states} (per token) and optional {@code pooled} out.
     */
    public record TextEncoderSpec(String file, TokenizerSpec tokenizer, Map<String, TensorSpec> inputs,
            Map<String, TensorSpec> outputs) {

        /** As a {@link Component}, the shape the single-encoder code reads. */
        public Component asComponent() {
            return new Component(file, inputs, outputs, null, null, null);
        }
    }

    /** How the outputs of several text encoders become the denoiser's text inputs (as diffusers' pipelines do). */
    public enum TextCombine implements JsonName {
        /**
         * Stable Diffusion 3: encoders CLIP-L, CLIP-G, T5. Per token: [L | G] on the feature axis, zero-padded to T5's
         * width, then T5's tokens appended on the sequence axis. Pooled: [L pooled | G pooled].
         */
        SD3,
        /** Stable Diffusion XL: encoders CLIP-L, CLIP-G. Per token: [L | G] on the feature axis. Pooled: G's. */
        SDXL
    }

    /**
     * One ONNX graph. {@code inputs}/{@code outputs} map a role fixed by the format (e.g. "sample") to the
     * graph's tensor. {@code scalingFactor}/{@code shiftFactor} only for the VAE decoder, {@code temporalScale}
     * (schemaVersion 2) only for a video VAE decoder that decodes the whole clip in one call.
     */
    public record Component(String file, Map<String, TensorSpec> inputs, Map<String, TensorSpec> outputs,
            Double scalingFactor, Double shiftFactor, Integer temporalScale) {

        /** {@code temporalScale}, 1 where absent or not a positive number (the validator reports the latter). */
        public int temporalScaleOrOne() {
            return temporalScale == null || temporalScale < 1 ? 1 : temporalScale;
        }
    }

    public record TensorSpec(String name, TensorDType dtype, List<Dim> shape) {
    }

    /** One dimension: a fixed positive size, or a symbol for a dynamic one. */
    public record Dim(long size, String symbol) {

        private static final Pattern SYMBOL = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

        @JsonCreator
        public static Dim of(JsonNode node) {
            if (node.isIntegralNumber() && node.canConvertToLong() && node.longValue() > 0) {
                return new Dim(node.longValue(), null);
            }
            if (node.isTextual() && SYMBOL.matcher(node.textValue()).matches()) {
                return new Dim(0, node.textValue());
            }
            throw new IllegalArgumentException("a dimension must be a positive integer or a symbol such as \"B\", got "
                    + node);
        }

        public static Dim fixed(long size) {
            return new Dim(size, null);
        }

        public boolean isFixed() {
            return symbol == null;
        }

        @Override
        public String toString() {
            return isFixed() ? Long.toString(size) : symbol;
        }
    }

    public record TokenizerSpec(String file, Integer maxLength, Integer padId, Boolean lowercase) {
    }

    public record SchedulerSpec(SchedulerName name, Integer numTrainTimesteps, BetaSchedule betaSchedule,
            Double betaStart, Double betaEnd, TimestepSpacing timestepSpacing, Double shift) {
    }

    public record Defaults(Integer steps, Double guidanceScale, String negativePrompt, SchedulerName scheduler) {
    }

    public record SampleSpec(Integer frames, Integer channels, Integer height, Integer width, Integer latentScale,
            Integer fps) {
    }

    public record OutputSpec(List<Double> valueRange) {
    }

    public record LicenseSpec(String spdx, String file, List<Attribution> attribution) {
    }

    public record Attribution(String source, String license, String url, String copyright, String usedFor) {
    }

    public record TrainingRecord(Long steps, Integer batchSize, List<String> data, String loss, Double finalLoss,
            String hardware, Double durationMinutes, Long seed, String script, String notes) {
    }
}
