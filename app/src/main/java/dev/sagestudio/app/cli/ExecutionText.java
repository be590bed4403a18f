package dev.sagestudio.app.cli;

import dev.sagestudio.models.pipeline.ExecutionReport;

/** An {@link ExecutionReport} as the command line prints it. */
final class ExecutionText {

    private ExecutionText() {
    }

    /** A few lines for logs and the command line. */
    static String describe(ExecutionReport report) {
        var attention = report.attention();
        StringBuilder out = new StringBuilder();
        report.noAttentionWarning().ifPresent(w -> out.append(w).append('\n'));
        out.append("attention backend that ran: ").append(report.attentionThatRan());
        if (report.attentionCalls() > 0) {
            out.append(" (").append(report.attentionCalls()).append(" calls; nodes per graph ")
                    .append(report.substitutedNodes()).append(')');
        }
        attention.fallbackReason().ifPresent(r -> out.append("\nFALLBACK: requested ").append(attention.requested())
                .append(": ").append(r));
        attention.note().ifPresent(n -> out.append("\nnote: ").append(n));
        for (String kept : report.keptInOnnxRuntime()) {
            out.append("\n").append(kept);
        }
        out.append("\nONNX Runtime: ").append(report.onnxRuntimeProvider()).append(" execution provider");
        report.onnxRuntimeFallback().ifPresent(r -> out.append("\nFALLBACK: ").append(r));
        return out.toString();
    }
}
