package dev.sagestudio.app.service;

import dev.sagestudio.attention.gpu.GpuUnavailableException;
import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * A failure as the window shows it: what happened, the cause, what to do, and the full details to copy.
 *
 * @param title what happened, in a few words
 * @param cause the cause, as the library said it
 * @param whatToDo the next step for the user
 * @param details everything (stack trace included) for a bug report
 */
public record AppError(String title, String cause, String whatToDo, String details) {

    /** Sorts a failure into the cases the user can act on differently. */
    public static AppError of(Throwable failure) {
        String cause = String.valueOf(failure.getMessage());
        String title;
        String whatToDo;
        if (failure instanceof GenerationCancelledException) {
            title = "Generation cancelled";
            whatToDo = "Nothing was saved for this run; the settings are still in the form. Press Generate to run"
                    + " it again.";
        } else if (failure instanceof OutOfMemoryError) {
            title = "Out of memory";
            cause = "Java ran out of memory" + (failure.getMessage() == null ? "" : " (" + failure.getMessage() + ")");
            whatToDo = "Close other programs, use fewer threads in Settings, or start SageStudio with more memory"
                    + " (JAVA_TOOL_OPTIONS=-Xmx8g).";
        } else if (failure instanceof GpuUnavailableException || cause.contains("GPU cannot be used")) {
            title = "No usable GPU";
            whatToDo = "Pick a CPU backend (onnxruntime is the fastest on the CPU); the Device tab says what to"
                    + " install for the GPU backends.";
        } else if (cause.contains("model bundle") || cause.contains("model folder")) {
            title = "Bad model folder";
            whatToDo = "Choose a folder with model.json and the ONNX graphs it names (see docs/model-bundle.md), or"
                    + " pick a bundled model.";
        } else if (failure instanceof IllegalArgumentException) {
            title = "Invalid settings";
            whatToDo = "Correct the value named above and generate again.";
        } else {
            title = "Generation failed";
            whatToDo = "Copy the details below into a bug report; the form keeps your settings.";
        }
        StringWriter trace = new StringWriter();
        failure.printStackTrace(new PrintWriter(trace));
        return new AppError(title, cause, whatToDo, title + ": " + cause + "\n" + trace);
    }

    /** A problem that is not an exception (a rebuilt index, an unreadable settings file). */
    public static AppError notice(String title, String message, String whatToDo) {
        return new AppError(title, message, whatToDo, title + ": " + message);
    }
}
