package dev.sagestudio.models.runtime.device;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Device blocks their holders gave back, kept by size for the next request of exactly that size: a denoiser step asks
 * for the same attention output sizes in every step, and {@code cuMemAlloc}/{@code cuMemFree} per call cost time on
 * the host and (the free) a wait for the whole device. Reuse is safe because every reader and writer of these blocks
 * works on the one stream the device path shares with ONNX Runtime, in order: a block given back after its last
 * reader was queued is written next by work queued after that reader.
 *
 * <p>Once closed, blocks given back are not kept: the caller frees them.
 *
 * @param <B> the block type (a device buffer)
 */
final class IdleBlocks<B> {
    private final Map<Long, ArrayDeque<B>> bySize = new HashMap<>();
    private boolean closed;

    /** An idle block of exactly {@code bytes}, now the caller's, or null if there is none. */
    synchronized B take(long bytes) {
        ArrayDeque<B> blocks = bySize.get(bytes);
        return blocks == null ? null : blocks.poll();
    }

    /** Keeps {@code block} of {@code bytes} for reuse; false if closed, and then the caller must free it. */
    synchronized boolean giveBack(long bytes, B block) {
        if (closed) {
            return false;
        }
        bySize.computeIfAbsent(bytes, size -> new ArrayDeque<>()).push(block);
        return true;
    }

    /** Every idle block, now the caller's to free (e.g. to make room when the device is full). */
    synchronized List<B> drain() {
        List<B> all = new ArrayList<>();
        bySize.values().forEach(all::addAll);
        bySize.clear();
        return all;
    }

    /** As {@link #drain()}, and from now on nothing is kept. */
    synchronized List<B> close() {
        closed = true;
        return drain();
    }

    /** The blocks kept idle now. */
    synchronized int idleCount() {
        return bySize.values().stream().mapToInt(java.util.Collection::size).sum();
    }

    /** The bytes kept idle now. */
    synchronized long idleBytes() {
        return bySize.entrySet().stream().mapToLong(e -> e.getKey() * e.getValue().size()).sum();
    }
}
