package dev.sagestudio.models.runtime;

import java.util.List;

/**
 * Checks attention outputs for NaN and Inf where they lie, without copying them: each check is queued on the
 * stream after the kernel that wrote the output and adds its count to a slot; {@link #takeFindings} reads every slot
 * once (a few bytes) and clears them. {@code device.GpuOutputCheck} is the CUDA implementation (the
 * {@code check_finite_*} kernels); {@link InPlaceKernelSteps#withOutputCheck} queues one check per attention call,
 * one slot per node.
 */
public interface AttentionOutputCheck extends AutoCloseable {

    /** How many slots there are. */
    int slots();

    /** Queues the check of {@code output} (a tensor of the runner's memory) into {@code slot} on {@code stream}. */
    void enqueue(int slot, OrtTensor output, long stream);

    /** What one slot found since the last read. */
    record Finding(int slot, long count, long firstIndex, String firstValue) {}

    /** Waits for the work queued on {@code stream}, reads and clears every slot; the slots that found something. */
    List<Finding> takeFindings(long stream);

    /** Frees the slots; once, later calls do nothing. */
    @Override
    default void close() {
    }
}
