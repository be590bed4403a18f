package dev.sagestudio.models.pipeline;

/**
 * The short message for a GPU backend asked for on a machine without a usable GPU: what is missing in one clause and
 * the two ways on (the CPU fallback flag, or a CPU backend). The driver's full diagnosis stays in the fallback report.
 */
final class GpuRefusal {

    private GpuRefusal() {
    }

    static String message(String backend, String cpuCounterpart, String whyNot) {
        return "attention backend '" + backend + "' needs an NVIDIA GPU, and none is usable here (" + brief(whyNot)
                + "). Add --cpu-fallback to run it on the CPU as " + cpuCounterpart + " (reported), or choose a CPU"
                + " backend with --backend, e.g. " + cpuCounterpart + ".";
    }

    /** The diagnosis up to its first detail: "No NVIDIA driver was found: the CUDA driver ... (...)" → "No NVIDIA driver was found". */
    static String brief(String whyNot) {
        String s = whyNot.strip();
        int end = s.length();
        for (String stop : new String[] {": ", " (", ". "}) {
            int at = s.indexOf(stop);
            if (at > 0 && at < end) {
                end = at;
            }
        }
        s = s.substring(0, end);
        if (s.endsWith(".")) {
            s = s.substring(0, s.length() - 1);
        }
        return s.length() > 160 ? s.substring(0, 160) + "…" : s;
    }
}
