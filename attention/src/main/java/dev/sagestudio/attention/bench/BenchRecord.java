package dev.sagestudio.attention.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One benchmark result, in the shape every benchmark of the project writes (ours and the PyTorch peers),
 * so one merge script can put them in one table.
 *
 * @param tops            4·B·H·N²·D / median time, halved when causal, in 10^12 operations per second
 * @param includesQuant   true if the time includes preprocessing (K mean, INT8/FP8 quantization, conversions)
 * @param kernel          the attention kernel entry that ran (ours; null for peers), e.g. {@code sage_int8_fp16_sm90_d128}
 */
@JsonPropertyOrder({"gpu", "date", "backend", "batch", "heads", "head_dim", "seq_len", "causal", "includes_quant",
        "tops", "median_ms", "runs", "dtype", "kernel"})
public record BenchRecord(
        @JsonProperty("gpu") String gpu,
        @JsonProperty("date") String date,
        @JsonProperty("backend") String backend,
        @JsonProperty("batch") int batch,
        @JsonProperty("heads") int heads,
        @JsonProperty("head_dim") int headDim,
        @JsonProperty("seq_len") int seqLen,
        @JsonProperty("causal") boolean causal,
        @JsonProperty("includes_quant") boolean includesQuant,
        @JsonProperty("tops") double tops,
        @JsonProperty("median_ms") double medianMs,
        @JsonProperty("runs") int runs,
        @JsonProperty("dtype") String dtype,
        @JsonProperty("kernel") @JsonInclude(JsonInclude.Include.NON_NULL) String kernel) {

    /** Attention operations counted for TOPS: 4·B·H·N²·D (QK^T and PV, 2 per multiply-add), halved when causal. */
    public static double operations(int batch, int heads, int seqLen, int headDim, boolean causal) {
        double full = 4.0 * batch * heads * (double) seqLen * seqLen * headDim;
        return causal ? full / 2 : full;
    }

    /** TOPS for a median time in milliseconds. */
    public static double tops(int batch, int heads, int seqLen, int headDim, boolean causal, double medianMs) {
        if (!(medianMs > 0)) {
            throw new IllegalArgumentException("a timing must be positive, got " + medianMs + " ms");
        }
        return operations(batch, heads, seqLen, headDim, causal) / (medianMs * 1e-3) / 1e12;
    }
}
