package dev.sagestudio.models.runtime;

import java.util.List;
import java.util.Map;

/**
 * A partitioned model's steps, with work recorded behind them, launched as one unit on tensors in the model's memory:
 * on the GPU a CUDA graph ({@code device.CapturedSteps}). Its inputs go into buffers of its own on each launch, and
 * its outputs are its own tensors, overwritten by the next launch and closed with it.
 */
public interface RecordedSteps extends AutoCloseable {

    /**
     * One launch on {@code inputs} (the recorded names and shapes; borrowed), the attention outputs' NaN/Inf check read
     * afterwards ({@link #lastNonFinite()}). Returns the steps' outputs and what the recorded work behind them made.
     */
    Map<String, OrtTensor> launch(Map<String, OrtTensor> inputs);

    /** Attention outputs with NaN or Inf in the last launch. */
    List<NonFiniteOutput> lastNonFinite();

    /** The buffers each launch reads its inputs from, by name: after a launch they still hold its inputs. */
    Map<String, OrtTensor> recordedInputs();

    /** The attention calls each launch makes. */
    int recordedAttentionCalls();

    /**
     * The model's steps the recording holds; the others (before and after them) run unrecorded around each launch.
     */
    PartitionedModel.StepRange recorded();

    /** The operations one launch issues (for a CUDA graph: its kernels, copies and memsets). */
    long recordedOperations();

    /** Frees what the recording holds; the launches' work must be done (the GPU's waits for its stream first). */
    @Override
    void close();
}
