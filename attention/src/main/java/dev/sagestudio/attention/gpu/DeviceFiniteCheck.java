package dev.sagestudio.attention.gpu;

import dev.sagestudio.attention.tensor.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * NaN/Inf checks of device tensors that stay on the device: {@link #enqueue} queues the {@code check_finite_*}
 * kernel (ABI.md §6), which counts the non-finite elements of one tensor and finds the first into a 16-byte slot of
 * a small result buffer; {@link #takeFindings} reads every slot back at once (16 bytes per slot, not the tensors)
 * and clears them for the next round. One slot per thing watched (the fidelity guard uses one per attention node);
 * checks into the same slot between two reads add up.
 */
public final class DeviceFiniteCheck implements AutoCloseable {
    /** Bytes per slot: the count and the complemented key of the first non-finite element (finite_check.cuh). */
    public static final int SLOT_BYTES = 16;

    private final GpuContext context;
    private final DeviceBuffer results;
    private final int slots;

    /** The slots of one round that found something. */
    public record Finding(int slot, long count, long firstIndex, String firstValue) {}

    private DeviceFiniteCheck(GpuContext context, DeviceBuffer results, int slots) {
        this.context = context;
        this.results = results;
        this.slots = slots;
    }

    /** A check with {@code slots} slots (≥ 1) in {@code context}, all clear. */
    public static DeviceFiniteCheck create(GpuContext context, int slots) {
        Objects.requireNonNull(context, "context");
        if (slots < 1) {
            throw new IllegalArgumentException("a finite check needs at least one slot, got " + slots);
        }
        DeviceBuffer results = context.allocate((long) slots * SLOT_BYTES);
        try {
            results.copyFromHost(new byte[slots * SLOT_BYTES]);
            return new DeviceFiniteCheck(context, results, slots);
        } catch (RuntimeException e) {
            results.close();
            throw e;
        }
    }

    public int slots() {
        return slots;
    }

    /**
     * Queues the check of {@code elements} contiguous values of {@code dtype} at device address {@code address} on
     * {@code stream}, into {@code slot}. Returns at once; the result is read by {@link #takeFindings}.
     */
    public void enqueue(int slot, long address, long elements, DType dtype, CudaStream stream) {
        Objects.checkIndex(slot, slots);
        if (elements < 1) {
            return;
        }
        Kernel kernel = context.kernels().kernel("check_finite_" + GpuAttentionBackend.suffix(dtype));
        int blocks = blocks(elements * dtype.bytes(), kernel.blockThreads(), context.device().multiprocessors());
        kernel.launch(blocks, 1, 1, stream, KernelParams.finiteCheck(address, results.address()
                + (long) slot * SLOT_BYTES, elements));
    }

    /** 16-byte loads each thread of check_finite_* issues per pass before it examines them (traits.cuh VECTORS). */
    static final int VECTORS_PER_THREAD = 4;

    /**
     * Blocks for a check of {@code bytes}: enough for one pass ({@link #VECTORS_PER_THREAD} 16-byte loads per
     * thread), at most eight per multiprocessor (a full one at 256 threads; the grid-stride loop covers the rest).
     * On the H100 a 48 MiB check takes 22 us this way, 31 us with two blocks per multiprocessor (run 15).
     */
    static int blocks(long bytes, int threads, int multiprocessors) {
        long vectors = (bytes + 15) / 16;
        long wanted = (vectors + (long) threads * VECTORS_PER_THREAD - 1) / ((long) threads * VECTORS_PER_THREAD);
        return (int) Math.max(1, Math.min(wanted, 8L * Math.max(1, multiprocessors)));
    }

    /**
     * Waits for {@code stream}'s queued work, reads every slot, clears them (queued on {@code stream}) and returns
     * the slots that found a non-finite value, in slot order.
     */
    public List<Finding> takeFindings(CudaStream stream) {
        stream.synchronize();
        byte[] bytes = new byte[slots * SLOT_BYTES];
        results.copyToHost(bytes);
        results.fillBytes((byte) 0, stream);
        return decode(bytes);
    }

    /** The findings in raw slot bytes (little-endian words: count, ~((index << 2) | kind)). */
    static List<Finding> decode(byte[] bytes) {
        ByteBuffer words = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        List<Finding> found = new ArrayList<>();
        for (int slot = 0; slot < bytes.length / SLOT_BYTES; slot++) {
            long count = words.getLong(slot * SLOT_BYTES);
            long key = ~words.getLong(slot * SLOT_BYTES + 8);
            if (count != 0) {
                String value = switch ((int) (key & 3)) {
                    case 0 -> "NaN";
                    case 1 -> "+Inf";
                    default -> "-Inf";
                };
                found.add(new Finding(slot, count, key >>> 2, value));
            }
        }
        return found;
    }

    /** Frees the result buffer. */
    @Override
    public void close() {
        results.close();
    }
}
