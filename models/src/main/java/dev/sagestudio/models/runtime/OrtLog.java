package dev.sagestudio.models.runtime;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.onnxruntime.OrtLoggingFunction;

/**
 * Receives ONNX Runtime's log (warnings and errors): passes each message on to the platform logger (the
 * library writes nothing to stderr itself; the default configuration prints warnings there), and keeps the latest ones so that a failure (e.g. a CUDA library that cannot be opened) can be
 * quoted in the exception or fallback message that follows it.
 */
final class OrtLog extends OrtLoggingFunction {
    private static final System.Logger LOG = System.getLogger(OrtLog.class.getName());
    private static final int KEPT = 16;
    /** ORT_LOGGING_LEVEL_ERROR; below it (the session only asks for warnings and up) is a warning. */
    private static final int ERROR_SEVERITY = 3;

    private record Entry(long sequence, String text) {
    }

    private final Deque<Entry> recent = new ArrayDeque<>();
    private long next;

    @Override
    public void call(Pointer param, int severity, BytePointer category, BytePointer logId, BytePointer codeLocation,
                     BytePointer message) {
        String text = message == null ? "" : message.getString();
        LOG.log(severity >= ERROR_SEVERITY ? System.Logger.Level.ERROR : System.Logger.Level.WARNING,
                () -> "[onnxruntime] " + text);
        synchronized (recent) {
            recent.addLast(new Entry(next++, text));
            while (recent.size() > KEPT) {
                recent.removeFirst();
            }
        }
    }

    /** A position in the log, for {@link #since}. */
    long mark() {
        synchronized (recent) {
            return next;
        }
    }

    /** The kept messages logged at or after {@code mark}. */
    List<String> since(long mark) {
        synchronized (recent) {
            return recent.stream().filter(e -> e.sequence() >= mark).map(Entry::text).toList();
        }
    }
}
