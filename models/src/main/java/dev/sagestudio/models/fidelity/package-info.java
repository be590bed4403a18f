/**
 * Checks that a generation's numbers stay finite: the attention outputs of each call (host path; on the device path
 * a reduction on the device checks them and the runner reports here), the sample after
 * each step and the final output. A quantized attention output with NaN or Inf is re-run at that node with the
 * full-precision backend and reported; a generation that still ends non-finite fails (see docs/RELIABILITY.md).
 */
package dev.sagestudio.models.fidelity;
