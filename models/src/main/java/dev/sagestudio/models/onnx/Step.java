package dev.sagestudio.models.onnx;

import java.util.List;

/** One step of a partitioned graph: an ONNX Runtime segment or an attention call. */
public sealed interface Step permits OrtSegment, AttentionStep {

    /** Tensors this step reads that earlier steps or the caller provide. */
    List<String> inputs();

    /** Tensors this step produces that later steps or the caller need. */
    List<String> outputs();

    String describe();
}
