package dev.sagestudio.app.bench;

import java.util.Locale;
import java.util.Optional;

/**
 * A device's datasheet peak for the two tensor-core rates attention uses (dense, no sparsity), for scale on the
 * TOPS plot: FP16 (exact attention, and the PV half of SageAttention) and INT8 (SageAttention's QK half).
 *
 * @param fp16Tops dense FP16 tensor-core peak, 10^12 operations per second
 * @param int8Tops dense INT8 tensor-core peak
 * @param source where the numbers come from
 */
public record DevicePeak(double fp16Tops, double int8Tops, String source) {

    /**
     * The peak of a GPU known by name: the H100 SXM and the H200 (same tensor cores and clocks), as
     * attention/bench/NOTES.md uses them; empty for anything else (a CPU, other GPUs) rather than a guess.
     */
    public static Optional<DevicePeak> of(String deviceName) {
        String name = deviceName.toUpperCase(Locale.ROOT);
        if (name.contains("H100") && (name.contains("SXM") || name.contains("HBM3")) || name.contains("H200")) {
            return Optional.of(new DevicePeak(989.4, 1978.9, "NVIDIA H100/H200 SXM datasheet, dense"));
        }
        return Optional.empty();
    }
}
