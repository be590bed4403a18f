package dev.sagestudio.models.pipeline;

import java.util.List;
import java.util.Locale;

/**
 * Whether a failure is the runtime running out of memory, read from the messages ONNX Runtime and CUDA give (ONNX
 * Runtime reports it as an ordinary error status): its arena ("Failed to allocate memory for requested buffer of size
 * N", "Available memory of N is smaller than requested bytes of M"), the C++ allocator ({@code std::bad_alloc}), CUDA
 * ({@code CUDA_ERROR_OUT_OF_MEMORY}, "out of memory"), and Java's own {@link OutOfMemoryError}.
 */
final class OutOfMemoryMessages {
    private static final List<String> SIGNS = List.of("failed to allocate memory", "is smaller than requested bytes",
            "bad_alloc", "bad allocation", "out of memory", "out_of_memory", "cudaerrormemoryallocation");

    private OutOfMemoryMessages() {
    }

    static boolean isOutOfMemory(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof OutOfMemoryError) {
                return true;
            }
            String message = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
            if (SIGNS.stream().anyMatch(message::contains)) {
                return true;
            }
        }
        return false;
    }

    /** The part of the message that says what ran out (ONNX Runtime prefixes it with a source path), in one line. */
    static String brief(Throwable failure) {
        String message = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
        String lower = message.toLowerCase(Locale.ROOT);
        for (String sign : SIGNS) {
            int at = lower.indexOf(sign);
            if (at >= 0) {
                int start = Math.max(0, lower.lastIndexOf(')', at) + 1);
                String rest = message.substring(start).strip();
                int line = rest.indexOf('\n');
                rest = line < 0 ? rest : rest.substring(0, line);
                return rest.length() <= 160 ? rest : rest.substring(0, 160) + "…";
            }
        }
        return message.replace('\n', ' ');
    }
}
