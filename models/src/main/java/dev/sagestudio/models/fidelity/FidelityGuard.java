package dev.sagestudio.models.fidelity;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.attention.AttentionRequest;
import dev.sagestudio.attention.ForwardingAttentionBackend;
import dev.sagestudio.attention.cpu.ReferenceAttention;
import dev.sagestudio.attention.tensor.HostTensor;
import dev.sagestudio.models.runtime.NonFiniteOutput;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Watches one pipeline's generations for NaN and Inf. Per generation ({@link #begin}), it learns the step
 * ({@link #beforeStep}), checks every attention output that runs through {@link #guard} and the sample after every
 * step ({@link #checkSample}), and remembers the first non-finite value with its step, node and backend. A bad
 * attention output of a backend other than the full-precision one is computed again with the full-precision backend
 * at that node; that fallback is reported in {@link #fallbacks()}, never silent. {@link #requireFinite} fails the
 * generation if its output still holds non-finite values.
 *
 * <p>On the zero-copy device path attention outputs stay on the GPU: a reduction on the device checks each one, the
 * runner re-runs a quantized kernel's bad node with the full-precision kernel there, and {@link #onDevice} records
 * the finding in the same form as the host path's; see docs/RELIABILITY.md.
 */
public final class FidelityGuard {

    private final AttentionBackend fullPrecision;
    private final List<String> fallbacks = new ArrayList<>();
    private String firstBad;
    private int step = -1;
    private int call;

    /** A guard that re-runs bad attention outputs with the float64 reference ({@code cpu-reference}). */
    public FidelityGuard() {
        this(new ReferenceAttention());
    }

    /** A guard with the given full-precision backend (tests inject one). */
    public FidelityGuard(AttentionBackend fullPrecision) {
        this.fullPrecision = Objects.requireNonNull(fullPrecision, "fullPrecision");
    }

    /** Starts a generation: forgets the previous one's findings. */
    public void begin() {
        fallbacks.clear();
        firstBad = null;
        step = -1;
        call = 0;
    }

    /** The denoising step (0-based) the next attention calls belong to. */
    public void beforeStep(int value) {
        step = value;
        call = 0;
    }

    /**
     * {@code backend}, with each output checked; calls are matched to {@code nodeNames} (labels of the substituted
     * nodes) in execution order: the denoiser runs its attention nodes in graph order, once or twice per step.
     */
    public AttentionBackend guard(AttentionBackend backend, Supplier<List<String>> nodeNames) {
        return new Guarded(backend, nodeNames);
    }

    /** Records the first non-finite value of the sample after {@code doneStep} (0-based), if any. */
    public void checkSample(float[] sample, int doneStep, String backend) {
        if (firstBad == null) {
            int i = NonFinite.firstIndex(sample);
            if (i >= 0) {
                firstBad = String.format(Locale.ROOT, "the sample after step %d (attention backend %s) at index %d: %s",
                        doneStep + 1, backend, i, NonFinite.describe(sample[i]));
            }
        }
    }

    /**
     * A non-finite attention output found on the device path, in the current step: with {@code reRunWith} the node
     * was computed again by that full-precision kernel ({@code stillBad}: its output there, if not finite either),
     * reported as a fallback; without, it is this generation's first bad value if none came before.
     */
    public void onDevice(NonFiniteOutput bad, Optional<String> reRunWith, Optional<NonFiniteOutput> stillBad) {
        String where = where(bad.node(), bad.backend(), bad.firstIndex(), bad.firstValue());
        if (reRunWith.isEmpty()) {
            remember(where);
            return;
        }
        fallback(where, reRunWith.get(), stillBad.map(s -> fullPrecisionWhere(s.node(), s.backend(), s.firstIndex(),
                s.firstValue())));
    }

    /** "step N, NODE, backend B, output index I: VALUE" for the current step. */
    private String where(String node, String backend, long index, String value) {
        return String.format(Locale.ROOT, "step %d, %s, backend %s, output index %d: %s", step + 1, node, backend,
                index, value);
    }

    private String fullPrecisionWhere(String node, String backend, long index, String value) {
        return String.format(Locale.ROOT, "step %d, %s, backend %s (full precision), output index %d: %s", step + 1,
                node, backend, index, value);
    }

    /** Reports that the node at {@code where} was re-run with {@code with}; {@code stillBad}: where that failed too. */
    private void fallback(String where, String with, Optional<String> stillBad) {
        fallbacks.add("FALLBACK: " + where + "; that node was re-run with " + with
                + (stillBad.isEmpty() ? ", which gave finite values" : ", which is also non-finite"));
        stillBad.ifPresent(this::remember);
    }

    private void remember(String where) {
        if (firstBad == null) {
            firstBad = where;
        }
    }

    /** The attention nodes that were re-run with the full-precision backend in this generation, as messages. */
    public List<String> fallbacks() {
        return List.copyOf(fallbacks);
    }

    /** Where the first non-finite value of this generation appeared, if one did. */
    public Optional<String> firstNonFinite() {
        return Optional.ofNullable(firstBad);
    }

    /**
     * Throws {@link NonFiniteOutputException} (carrying {@code result}) if {@code output} holds NaN or Inf, saying
     * how many values, and where the first bad value of the generation appeared.
     */
    public void requireFinite(float[] output, Object result) {
        int bad = NonFinite.count(output);
        if (bad > 0) {
            int first = NonFinite.firstIndex(output);
            throw new NonFiniteOutputException(String.format(Locale.ROOT, "the generated output has %d non-finite"
                    + " values of %d (first at index %d: %s); first non-finite value: %s", bad, output.length, first,
                    NonFinite.describe(output[first]), firstNonFinite().orElse("in the decoder")), result);
        }
    }

    private final class Guarded extends ForwardingAttentionBackend {
        private final Supplier<List<String>> nodeNames;

        Guarded(AttentionBackend delegate, Supplier<List<String>> nodeNames) {
            super(delegate);
            this.nodeNames = nodeNames;
        }

        @Override
        public HostTensor compute(AttentionRequest request) {
            HostTensor out = delegate.compute(request);
            String node = node(call++);
            float[] values = out.toArray();
            int i = NonFinite.firstIndex(values);
            if (i < 0) {
                return out;
            }
            String where = where(node, delegate.name(), i, NonFinite.describe(values[i]));
            if (delegate.name().equals(fullPrecision.name())) {
                remember(where);
                return out;
            }
            HostTensor redo = fullPrecision.compute(request);
            float[] again = redo.toArray();
            int j = NonFinite.firstIndex(again);
            fallback(where, fullPrecision.name(), j < 0 ? Optional.empty()
                    : Optional.of(fullPrecisionWhere(node, fullPrecision.name(), j, NonFinite.describe(again[j]))));
            return redo;
        }

        private String node(int index) {
            List<String> names = nodeNames.get();
            return names.isEmpty() ? "attention call #" + index : names.get(index % names.size());
        }
    }
}
