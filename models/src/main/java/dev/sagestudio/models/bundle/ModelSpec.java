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
 * The content of model.json, schemaVersion 1, exactly as docs/model-bundle.md describes it.
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

    /** The only schema version this code reads. */
    public static final int SCHEMA_VERSION = 1;

    /** What the model generates. */
    public enum Kind implements JsonName {
        IMAGE, VIDEO
    }

    /** Element types a component's inputs and outputs may declare. */
    public enum TensorDType implements JsonName {
        FLOAT32, FLOAT16, INT64, INT32
    }

    public record Components(Component textEncoder, Component denoiser, Component vaeDecoder) {
    }

    /**
     * One ONNX graph. {@code inputs}/{@code outputs} map a role fixed by the format (e.g. "sample") to the
     * graph's tensor. {@code scalingFactor}/{@code shiftFactor} only for the VAE decoder.
     */
    public record Component(String file, Map<String, TensorSpec> inputs, Map<String, TensorSpec> outputs,
            Double scalingFactor, Double shiftFactor) {
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
