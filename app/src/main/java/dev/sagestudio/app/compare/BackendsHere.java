package dev.sagestudio.app.compare;

import dev.sagestudio.attention.gpu.GpuStatus;
import java.util.List;

/**
 * The attention backends a sweep or a comparison offers on this machine, full precision first (the column the others
 * are measured against). The GPU list when a usable GPU is present, the CPU list otherwise.
 * TODO(lead, on merging the backend catalog of issue 11): derive both lists from the catalog's availability.
 */
public final class BackendsHere {

    /** Exact attention first, then our quantized kernels. */
    public static final List<String> GPU = List.of("flash-fp16", "sage-int8-fp16", "sage-int8-fp16acc", "sage-int8-fp8");

    /** The float64 reference first, then the SageAttention emulations, then ONNX Runtime's own attention. */
    public static final List<String> CPU = List.of("cpu-reference", "cpu-sage-int8-fp16", "cpu-sage-int8-fp16acc",
            "cpu-sage-int8-fp8", "onnxruntime");

    private BackendsHere() {
    }

    /** {@link #GPU} when this machine has a usable GPU, else {@link #CPU}. */
    public static List<String> all() {
        return GpuStatus.probe().available() ? GPU : CPU;
    }

    /** The default A/B pair here: the best full-precision backend against the fastest SageAttention backend. */
    public static List<String> defaultPair() {
        return GpuStatus.probe().available() ? List.of("flash-fp16", "sage-int8-fp16")
                : List.of("cpu-reference", "cpu-sage-int8-fp16");
    }
}
