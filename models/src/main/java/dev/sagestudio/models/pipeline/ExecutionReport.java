package dev.sagestudio.models.pipeline;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What actually ran in a generation: the attention backend (and any fallback, with its reason), how many attention
 * calls it made, which attention nodes stayed inside ONNX Runtime and why, and ONNX Runtime's execution provider.
 *
 * @param attention the backend asked for and the one that ran
 * @param attentionCalls substituted attention calls the backend ran in this generation (all graphs)
 * @param substitutedNodes per graph role, the attention nodes our backend runs
 * @param keptInOnnxRuntime attention nodes ONNX Runtime runs itself, each with the reason
 * @param onnxRuntimeProvider ONNX Runtime's execution provider for the segments ("CPU" or "CUDA")
 * @param onnxRuntimeFallback why ONNX Runtime is not on the provider asked for, if it is not
 */
public record ExecutionReport(AttentionChoice attention, long attentionCalls, Map<String, Long> substitutedNodes,
                              List<String> keptInOnnxRuntime, String onnxRuntimeProvider,
                              Optional<String> onnxRuntimeFallback) {

    /** The name of the backend that ran the attention calls, or a statement that none ran. */
    public String attentionThatRan() {
        if (attention.isOnnxRuntime()) {
            return AttentionChoice.ONNX_RUNTIME + " (ONNX Runtime's own attention; no SageStudio backend)";
        }
        return attentionCalls > 0 ? attention.backend().name()
                : "none (no attention node was substituted; ONNX Runtime computed all attention)";
    }

    /**
     * A warning when a SageStudio backend was asked for but ran no attention call (every attention of the
     * model stayed in ONNX Runtime, or none was found): such a run is no test of that backend.
     */
    public Optional<String> noAttentionWarning() {
        if (attention.isOnnxRuntime() || attentionCalls > 0) {
            return Optional.empty();
        }
        return Optional.of("WARNING: " + attention.requested() + " was asked for but ran no attention: "
                + (keptInOnnxRuntime.isEmpty() ? "no attention was found in the model's graphs"
                : "all of the model's attention ran inside ONNX Runtime (reasons below)"));
    }

    /** A few lines for logs and the command line. */
    public String describe() {
        StringBuilder out = new StringBuilder();
        noAttentionWarning().ifPresent(w -> out.append(w).append('\n'));
        out.append("attention backend that ran: ").append(attentionThatRan());
        if (attentionCalls > 0) {
            out.append(" (").append(attentionCalls).append(" calls; nodes per graph ").append(substitutedNodes)
                    .append(')');
        }
        attention.fallbackReason().ifPresent(r -> out.append("\nFALLBACK: requested ").append(attention.requested())
                .append(": ").append(r));
        attention.note().ifPresent(n -> out.append("\nnote: ").append(n));
        for (String kept : keptInOnnxRuntime) {
            out.append("\n").append(kept);
        }
        out.append("\nONNX Runtime: ").append(onnxRuntimeProvider).append(" execution provider");
        onnxRuntimeFallback.ifPresent(r -> out.append("\nFALLBACK: ").append(r));
        return out.toString();
    }
}
