package dev.sagestudio.models.runtime;

import java.util.List;
import java.util.Map;

/**
 * Outputs of one model run and where the time went.
 *
 * @param outputs graph outputs by name, in the graph's order
 * @param totalNanos wall time of the whole run
 * @param ortNanos time inside ONNX Runtime sessions (session creation excluded)
 * @param attentionNanos time inside attention backends (tensor conversion excluded)
 * @param attentionCalls one record per substituted attention node that ran
 * @param transfers the copies the runner made
 */
public record RunResult(Map<String, HostArray> outputs, long totalNanos, long ortNanos, long attentionNanos,
                        List<HostAttentionStep.Call> attentionCalls, Transfers transfers) {
}
