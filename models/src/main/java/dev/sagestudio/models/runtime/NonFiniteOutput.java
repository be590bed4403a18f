package dev.sagestudio.models.runtime;

/**
 * An attention output holding NaN or Inf, found where it lies (on the device path, by a reduction on the device).
 *
 * @param node        the attention node's label
 * @param backend     the kernel or backend that computed it
 * @param count       how many of its values are not finite (summed over the calls since the last read)
 * @param firstIndex  the index of the first of them in the output
 * @param firstValue  "NaN", "+Inf" or "-Inf"
 */
public record NonFiniteOutput(String node, String backend, long count, long firstIndex, String firstValue) {
}
