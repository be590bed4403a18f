package dev.sagestudio.models.runtime;

/**
 * The bound on ONNX Runtime's intra-op threads: 0 (ONNX Runtime's default, one per core) up to the cores this JVM
 * may use. More threads than cores only makes each step slower (100,000 asked for once meant 19,848 threads and no
 * step finished in 8 minutes), so it is refused with the limit named instead of attempted.
 */
public final class ThreadLimit {

    private ThreadLimit() {
    }

    /** The most threads allowed here: the processors available to this JVM. */
    public static int max() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** {@code threads} if it is 0 (default) or within 1..{@link #max()}, else a clear error naming the limit. */
    public static int check(int threads) {
        return check(threads, max());
    }

    static int check(int threads, int cores) {
        if (threads < 0 || threads > cores) {
            throw new IllegalArgumentException("--threads must be between 1 and " + cores + " (the cores this machine"
                    + " gives SageStudio), or 0 for ONNX Runtime's default; got " + threads);
        }
        return threads;
    }
}
