package dev.sagestudio.attention.quant;

/**
 * Rows of INT8 values with one float scale per group of rows: value(n, d) ≈ values[n·dim + d] ·
 * scales[groupOfRow[n]].
 *
 * @param rows       number of rows (tokens)
 * @param dim        values per row (head dimension)
 * @param values     quantized values in [-127, 127], row-major
 * @param scales     one scale per group, max|x| / 127 over the group (with the zero-block floor of
 *                   {@link Int8Quantizer#AMAX_FLOOR})
 * @param groupOfRow the scale group of each row
 */
public record QuantizedInt8(int rows, int dim, byte[] values, float[] scales, int[] groupOfRow) {

    /** The scale that applies to row {@code n}. */
    public float scaleOfRow(int n) {
        return scales[groupOfRow[n]];
    }

    /** The dequantized value of (n, d), computed in float as the GPU would. */
    public float dequantize(int n, int d) {
        return values[n * dim + d] * scaleOfRow(n);
    }

    /** All values widened to int, row-major (what the CPU dot products use). */
    public int[] valuesAsInts() {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
