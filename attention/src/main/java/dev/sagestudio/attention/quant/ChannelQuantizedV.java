package dev.sagestudio.attention.quant;

/**
 * V quantized with one scale per channel (column), over all tokens of one (batch, kv-head), as
 * SageAttention2 does for its FP8 PV: scale[c] = max(max_n |V[n, c]|, {@value Int8Quantizer#AMAX_FLOOR})
 * / qmax, and the stored value is V · (qmax / amax) rounded to the target format. Per-channel scales
 * can be pulled out of P·V: O[:, c] = (P · Vq[:, c]) · scale[c].
 *
 * @param rows   tokens
 * @param dim    channels
 * @param values the quantized values (exact FP8 or INT8 values, held as floats), row-major
 * @param scales one scale per channel
 */
public record ChannelQuantizedV(int rows, int dim, float[] values, float[] scales) {

    /** FP8 E4M3 with qmax = 448. */
    public static ChannelQuantizedV fp8(float[] v, int offset, int rows, int dim) {
        return quantize(v, offset, rows, dim, Fp8E4M3.MAX, true);
    }

    /** INT8 with qmax = 127, rounding half away from zero. */
    public static ChannelQuantizedV int8(float[] v, int offset, int rows, int dim) {
        return quantize(v, offset, rows, dim, 127f, false);
    }

    private static ChannelQuantizedV quantize(float[] v, int offset, int rows, int dim, float qmax, boolean fp8) {
        float[] amax = new float[dim];
        for (int n = 0; n < rows; n++) {
            int base = offset + n * dim;
            for (int d = 0; d < dim; d++) {
                amax[d] = Math.max(amax[d], Math.abs(v[base + d]));
            }
        }
        float[] scales = new float[dim];
        float[] inverse = new float[dim];
        for (int d = 0; d < dim; d++) {
            float a = Math.max(amax[d], Int8Quantizer.AMAX_FLOOR);
            scales[d] = a / qmax;
            inverse[d] = qmax / a;
        }
        float[] values = new float[rows * dim];
        for (int n = 0; n < rows; n++) {
            int base = offset + n * dim;
            for (int d = 0; d < dim; d++) {
                float scaled = v[base + d] * inverse[d];
                values[n * dim + d] = fp8 ? Fp8E4M3.round(scaled) : Int8Quantizer.quantize(scaled, 1f);
            }
        }
        return new ChannelQuantizedV(rows, dim, values, scales);
    }
}
