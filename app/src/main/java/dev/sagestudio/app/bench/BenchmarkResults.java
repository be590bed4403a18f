package dev.sagestudio.app.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sagestudio.attention.bench.BenchRecord;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * One benchmark session, saved and reloaded as JSON: the attention microbenchmark's records (TOPS per backend,
 * sequence length, head dim, causal or not; the same records the GPU harness and the committed results use) and the
 * end-to-end denoiser step times of a model per backend.
 *
 * @param device the machine's name (GPU name, or the CPU's model)
 * @param peak the device's datasheet peak, or null when not known
 * @param date ISO date (UTC) the numbers were taken
 * @param kernels microbenchmark records
 * @param steps denoiser step times (empty when not run)
 * @param calls the model's attention calls timed alone on real activations (empty when not run)
 * @param endToEnd whole generations of a model per backend (empty when not run)
 * @param notes what the run left out and why (points a kernel does not take, the time budget), empty when nothing
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BenchmarkResults(String device, DevicePeak peak, String date, List<BenchRecord> kernels,
                               List<StepBench> steps, List<CallBench> calls, List<EndToEnd> endToEnd,
                               List<String> notes) {

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public BenchmarkResults {
        Objects.requireNonNull(device, "device");
        kernels = kernels == null ? List.of() : List.copyOf(kernels);
        steps = steps == null ? List.of() : List.copyOf(steps);
        calls = calls == null ? List.of() : List.copyOf(calls);
        endToEnd = endToEnd == null ? List.of() : List.copyOf(endToEnd);
        notes = notes == null ? List.of() : List.copyOf(notes);
    }

    /** A session without end-to-end runs or notes (the {@code bench} command's). */
    public BenchmarkResults(String device, DevicePeak peak, String date, List<BenchRecord> kernels,
                            List<StepBench> steps, List<CallBench> calls) {
        this(device, peak, date, kernels, steps, calls, List.of(), List.of());
    }

    /**
     * Median time of one guided denoiser step of {@code model} with {@code backend} (ONNX Runtime and attention
     * shares where measured; attention is 0 when ONNX Runtime ran it), in milliseconds.
     */
    public record StepBench(String model, String backend, double totalMs, double ortMs, double attentionMs,
                            int runs) {
    }

    /**
     * One whole generation of {@code model} with {@code backend} after a one-step warm-up: the median denoiser step
     * and the total (text encoding, every step, decoding), ONNX Runtime's and attention's shares of the steps, in
     * milliseconds ({@link #NOT_SPLIT} where the generation had no such split: steps launched as CUDA graphs, or runs
     * queued on the GPU); {@code ran} is the backend that ran the attention calls as the generation reported it.
     */
    public record EndToEnd(String model, String backend, String ran, int steps, double medianStepMs, double totalMs,
                           double ortMs, double attentionMs) {
    }

    /** An {@link EndToEnd} share that was not measured (JSON has no NaN). */
    public static final double NOT_SPLIT = -1;

    /** Median time of one captured attention call (index within the step, its shape) per backend, in milliseconds. */
    public record CallBench(String model, int index, String shape, java.util.Map<String, Double> medianMs) {
    }

    public void save(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Path temp = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
        try {
            MAPPER.writeValue(temp.toFile(), this);
            Files.move(temp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * Reads a saved session, or a plain list of records as the GPU harness ({@code gpu-bench --out}) and the committed
     * results write them (device and date then taken from the records).
     */
    public static BenchmarkResults load(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            com.fasterxml.jackson.databind.JsonNode tree = MAPPER.readTree(in);
            if (tree != null && tree.isArray()) {
                List<BenchRecord> records = MAPPER.convertValue(tree,
                        new com.fasterxml.jackson.core.type.TypeReference<List<BenchRecord>>() { });
                return ofRecords(records);
            }
            return MAPPER.treeToValue(tree, BenchmarkResults.class);
        } catch (com.fasterxml.jackson.core.JacksonException | IllegalArgumentException e) {
            throw new IOException(file + " is not a SageStudio benchmark file: " + e.getMessage(), e);
        }
    }

    /** A session of harness records alone: the first record's device (GPU name), the latest date. */
    static BenchmarkResults ofRecords(List<BenchRecord> records) {
        String device = records.isEmpty() ? "unknown device" : records.get(0).gpu();
        String date = records.stream().map(BenchRecord::date).max(String::compareTo).orElse(null);
        return new BenchmarkResults(device, DevicePeak.of(device).orElse(null), date, records, List.of(), List.of());
    }

    /** The JSON text ({@code bench --json -} prints it). */
    public String json() {
        try {
            return MAPPER.writeValueAsString(this);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
