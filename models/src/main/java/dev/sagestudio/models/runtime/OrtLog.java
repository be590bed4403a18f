package dev.sagestudio.models.runtime;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.onnxruntime.OrtLoggingFunction;

/**
 * Receives ONNX Runtime's log: passes its warnings and errors on to the platform logger (the library writes nothing
 * to stderr itself; the default configuration prints warnings there), and keeps the latest ones so that a failure
 * (e.g. a CUDA library that cannot be opened) can be quoted in the exception or fallback message that follows it.
 * Of the informational messages a CUDA session's creation logs ({@link OrtRuntime} asks for them there) it keeps only
 * those that say why the graph copies between host and device — an operator with no CUDA kernel, a copy node added
 * next to a node — so that a segment that cannot be recorded as a CUDA graph can be named with its cause.
 */
final class OrtLog extends OrtLoggingFunction {
    private static final System.Logger LOG = System.getLogger(OrtLog.class.getName());
    private static final int KEPT = 16;
    /** ORT_LOGGING_LEVEL_ERROR; below it (the session only asks for warnings and up) is a warning. */
    private static final int ERROR_SEVERITY = 3;
    /** ORT_LOGGING_LEVEL_WARNING: below it, informational messages (asked for only while a CUDA session is created). */
    private static final int WARNING_SEVERITY = 2;
    private static final int KEPT_PLACEMENTS = 256;
    /**
     * The informational messages worth keeping: the CUDA EP's "CUDA kernel not found in registries for Op type: X node
     * name: Y" (the node runs on the CPU), and the copy transformer's "Add MemcpyToHost before Y ..." / "Add
     * MemcpyFromHost after Y ...".
     */
    private static final java.util.regex.Pattern HOST_COPY_CAUSE = java.util.regex.Pattern.compile(
            "kernel not found in registries for Op type|Add Memcpy(To|From)Host");

    private record Entry(long sequence, String text) {
    }

    private final Deque<Entry> recent = new ArrayDeque<>();
    private final Deque<Entry> placements = new ArrayDeque<>();
    private long next;

    @Override
    public void call(Pointer param, int severity, BytePointer category, BytePointer logId, BytePointer codeLocation,
                     BytePointer message) {
        String text = message == null ? "" : message.getString();
        if (severity < WARNING_SEVERITY) {
            LOG.log(System.Logger.Level.DEBUG, () -> "[onnxruntime] " + text);
            if (HOST_COPY_CAUSE.matcher(text).find()) {
                synchronized (recent) {
                    keep(placements, new Entry(next++, text), KEPT_PLACEMENTS);
                }
            }
            return;
        }
        LOG.log(severity >= ERROR_SEVERITY ? System.Logger.Level.ERROR : System.Logger.Level.WARNING,
                () -> "[onnxruntime] " + text);
        synchronized (recent) {
            keep(recent, new Entry(next++, text), KEPT);
        }
    }

    private static void keep(Deque<Entry> kept, Entry entry, int most) {
        kept.addLast(entry);
        while (kept.size() > most) {
            kept.removeFirst();
        }
    }

    /** A position in the log, for {@link #since}. */
    long mark() {
        synchronized (recent) {
            return next;
        }
    }

    /** The kept warnings and errors logged at or after {@code mark}. */
    List<String> since(long mark) {
        synchronized (recent) {
            return recent.stream().filter(e -> e.sequence() >= mark).map(Entry::text).toList();
        }
    }

    /**
     * The kept informational messages on host copies (an operator left to the CPU, a copy node added) logged at or
     * after {@code mark}.
     */
    List<String> hostCopyCausesSince(long mark) {
        synchronized (recent) {
            return placements.stream().filter(e -> e.sequence() >= mark).map(Entry::text).toList();
        }
    }
}
