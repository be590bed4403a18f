package dev.sagestudio.models.pipeline;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.ForwardingAttentionBackend;
import dev.sagestudio.attention.tensor.HostTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Runs the wrapped backend unchanged and keeps the Q, K, V and output of sampled calls: every call of the chosen
 * steps, up to {@code maxCallsPerStep} per step and {@code maxBytes} in all. The name is the wrapped backend's, since
 * that is what runs. The pipeline tells it the current step through {@link #beforeStep}.
 */
final class CapturingBackend extends ForwardingAttentionBackend {

    /** One captured call: {@code index} counts the attention calls within the step, in execution order. */
    record Captured(int step, int index, AttentionRequest request, HostTensor output) {
    }

    private final Set<Integer> steps;
    private final int maxCallsPerStep;
    private final long maxBytes;
    private final List<Captured> captured = new ArrayList<>();
    private int step = -1;
    private int index;
    private long bytes;
    private boolean budgetHit;

    CapturingBackend(AttentionBackend delegate, Set<Integer> steps, int maxCallsPerStep, long maxBytes) {
        super(delegate);
        this.steps = Set.copyOf(steps);
        this.maxCallsPerStep = maxCallsPerStep;
        this.maxBytes = maxBytes;
    }

    void beforeStep(int value) {
        step = value;
        index = 0;
    }

    List<Captured> captured() {
        return List.copyOf(captured);
    }

    /** Whether some sampled calls were skipped because the byte budget was spent. */
    boolean budgetHit() {
        return budgetHit;
    }

    @Override
    public HostTensor compute(AttentionRequest request) {
        HostTensor out = delegate.compute(request);
        int i = index++;
        if (steps.contains(step) && i < maxCallsPerStep) {
            // The step hands us fresh tensors for each call and never writes them afterwards, so keeping references
            // is safe; 4 bytes per value as held in memory.
            long size = 4L * (request.q().size() + request.k().size() + request.v().size() + out.size());
            if (bytes + size <= maxBytes) {
                bytes += size;
                captured.add(new Captured(step, i, request, out));
            } else {
                budgetHit = true;
            }
        }
        return out;
    }
}
