package dev.sagestudio.attention.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sagestudio.attention.AttentionShape;
import dev.sagestudio.attention.catalog.BackendCatalog;
import dev.sagestudio.attention.gpu.CudaEvent;
import dev.sagestudio.attention.gpu.CudaStream;
import dev.sagestudio.attention.gpu.DeviceBuffer;
import dev.sagestudio.attention.gpu.DeviceTensor;
import dev.sagestudio.attention.gpu.GpuAttentionBackend;
import dev.sagestudio.attention.gpu.GpuBackends;
import dev.sagestudio.attention.gpu.GpuContext;
import dev.sagestudio.attention.gpu.GpuUnavailableException;
import dev.sagestudio.attention.gpu.Workspace;
import dev.sagestudio.attention.tensor.Bf16;
import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.attention.tensor.Fp16;
import dev.sagestudio.attention.tensor.Layout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Times our GPU attention kernels with CUDA events: warm-up, then the median of {@code --runs} timed runs,
 * rotating between input sets so no run finds its inputs in L2. Quantized kernels are timed with and
 * without their preprocessing (K mean, INT8/FP8 quantization, conversions) from the same runs. Writes
 * {@link BenchRecord}s as JSON.
 */
@Command(name = "gpu-bench", mixinStandardHelpOptions = true,
        description = "Times the GPU attention kernels (CUDA events, median of N runs) and writes JSON records.")
public final class GpuBenchmark implements Callable<Integer> {
    private static final long ROTATION_BYTES = 512L << 20;
    private static final int CHUNK_ELEMENTS = 1 << 20;

    @Option(names = "--batch", defaultValue = "4", description = "Batch size (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--heads", defaultValue = "32", description = "Heads (default ${DEFAULT-VALUE}).")
    int heads;

    @Option(names = "--head-dims", split = ",", defaultValue = "128,64", description = "Head dims, in order.")
    List<Integer> headDims;

    @Option(names = "--seq-lens", split = ",", defaultValue = "1024,2048,4096,8192,16384,32768",
            description = "Sequence lengths (q_len = kv_len), in order.")
    List<Integer> seqLens;

    @Option(names = "--causal", split = ",", arity = "1", defaultValue = "false,true",
            description = "Causal settings to time, e.g. false,true.")
    List<Boolean> causalModes;

    @Option(names = "--backends", split = ",",
            defaultValue = "flash-fp16,sage-int8-fp16,sage-int8-fp16acc,sage-int8-fp8",
            description = "GPU backends to time.")
    List<String> backends;

    @Option(names = "--dtype", defaultValue = "fp16", description = "Input dtype: fp16, bf16 or fp32.")
    String dtypeName;

    @Option(names = "--runs", defaultValue = "20", description = "Timed runs per point (median; default 20).")
    int runs;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed runs first (default 3).")
    int warmup;

    @Option(names = "--budget-seconds", defaultValue = "0",
            description = "Stop starting new points after this many seconds (0 = no limit); skipped points are listed.")
    double budgetSeconds;

    @Option(names = "--device", defaultValue = "0", description = "CUDA device ordinal.")
    int device;

    @Option(names = "--out", required = true, description = "JSON file to write (rewritten after every point).")
    Path out;

    private final List<BenchRecord> records = new ArrayList<>();
    private final List<String> skipped = new ArrayList<>();

    /** Exit status when there is no usable GPU (the message says why). */
    static final int EXIT_NO_GPU = 3;

    public static void main(String[] args) {
        CommandLine commandLine = new CommandLine(new GpuBenchmark());
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof GpuUnavailableException) {
                cmd.getErr().println("gpu-bench: " + e.getMessage());
                return EXIT_NO_GPU;
            }
            throw e;
        });
        System.exit(commandLine.execute(args));
    }

    @Override
    public Integer call() throws IOException {
        DType dtype = parseDType(dtypeName);
        if (runs < 1 || warmup < 0 || batch < 1 || heads < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--runs, --batch and --heads must be positive and --warmup not negative");
        }
        if (runs < 20) {
            System.out.println("note: --runs " + runs + " is below the 20 runs the project's published numbers use");
        }
        long deadline = budgetSeconds > 0 ? System.nanoTime() + (long) (budgetSeconds * 1e9) : Long.MAX_VALUE;
        try (GpuBackends gpu = GpuBackends.open(device); CudaStream stream = gpu.context().createStream()) {
            GpuContext context = gpu.context();
            String gpuName = context.device().name();
            String date = LocalDate.now(ZoneOffset.UTC).toString();
            System.out.println("benchmarking on " + context.device().describe());
            for (int headDim : headDims) {
                for (int seqLen : seqLens) {
                    if (System.nanoTime() > deadline) {
                        skipped.add("D=" + headDim + " N=" + seqLen + " (time budget spent)");
                        continue;
                    }
                    try (InputSets sets = InputSets.create(context, dtype, batch, heads, seqLen, headDim, stream);
                         DeviceTensor o = DeviceTensor.allocate(context, dtype, Layout.HND, batch, heads, seqLen,
                                 headDim)) {
                        for (boolean causal : causalModes) {
                            for (String name : backends) {
                                GpuAttentionBackend backend = BackendCatalog.standard().require(name).createOn(gpu);
                                Optional<String> why = backend.unsupportedReason(new AttentionShape(batch, heads,
                                        heads, seqLen, seqLen, headDim, dtype, Layout.HND, causal));
                                if (why.isPresent()) {
                                    skipped.add(name + " D=" + headDim + " N=" + seqLen + ": " + why.get());
                                    continue;
                                }
                                double[][] ms = time(context, backend, sets, o, causal, stream);
                                String kernel = backend.attentionKernel(headDim);
                                add(gpuName, date, name, headDim, seqLen, causal, false, ms[0], dtype, kernel);
                                if (backend.variant().quantized() || dtype == DType.FP32) {
                                    add(gpuName, date, name, headDim, seqLen, causal, true, ms[1], dtype, kernel);
                                }
                            }
                        }
                    }
                    write();
                }
            }
        }
        write();
        printTable();
        skipped.forEach(s -> System.out.println("skipped: " + s));
        return 0;
    }

    /**
     * Times {@code runs} runs after {@code warmup}: [0] = attention kernel alone, [1] = preprocessing plus
     * attention, both in milliseconds per run, from the same runs.
     */
    private double[][] time(GpuContext context, GpuAttentionBackend backend, InputSets sets, DeviceTensor o,
                            boolean causal, CudaStream stream) {
        List<CudaEvent> events = new ArrayList<>();
        try {
            CudaEvent[][] marks = new CudaEvent[runs][3];
            for (CudaEvent[] run : marks) {
                for (int j = 0; j < 3; j++) {
                    run[j] = context.createEvent();
                    events.add(run[j]);
                }
            }
            double scale = 1.0 / Math.sqrt(sets.headDim);
            for (int i = -warmup; i < runs; i++) {
                int set = Math.floorMod(i, sets.count());
                if (i >= 0) {
                    marks[i][0].record(stream);
                }
                GpuAttentionBackend.Prepared prepared = backend.prepare(sets.q[set], sets.k[set], sets.v[set], scale,
                        sets.workspace[set], stream);
                if (i >= 0) {
                    marks[i][1].record(stream);
                }
                backend.attendPrepared(prepared, o, causal, stream);
                if (i >= 0) {
                    marks[i][2].record(stream);
                }
            }
            stream.synchronize();
            double[] kernelOnly = new double[runs];
            double[] withPrep = new double[runs];
            for (int i = 0; i < runs; i++) {
                kernelOnly[i] = marks[i][2].elapsedMillisSince(marks[i][1]);
                withPrep[i] = marks[i][2].elapsedMillisSince(marks[i][0]);
            }
            return new double[][] {kernelOnly, withPrep};
        } finally {
            events.forEach(CudaEvent::close);
        }
    }

    private void add(String gpu, String date, String backend, int headDim, int seqLen, boolean causal,
                     boolean includesQuant, double[] ms, DType dtype, String kernel) {
        double median = Timings.median(ms);
        BenchRecord record = new BenchRecord(gpu, date, backend, batch, heads, headDim, seqLen, causal, includesQuant,
                BenchRecord.tops(batch, heads, seqLen, headDim, causal, median), median, ms.length, dtype.label(),
                kernel);
        records.add(record);
        System.out.printf(Locale.ROOT, "%-18s D=%-3d N=%-5d %-10s %-11s %9.3f ms %7.1f TOPS  [%s]%n", backend,
                headDim, seqLen, causal ? "causal" : "non-causal", includesQuant ? "with-quant" : "kernel", median,
                record.tops(), kernel);
    }

    private void write() throws IOException {
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), records);
    }

    private void printTable() {
        System.out.println();
        System.out.println("| backend | D | N | causal | includes quant | median ms | TOPS |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- |");
        for (BenchRecord r : records) {
            System.out.printf(Locale.ROOT, "| %s | %d | %d | %s | %s | %.3f | %.1f |%n", r.backend(), r.headDim(),
                    r.seqLen(), r.causal(), r.includesQuant(), r.medianMs(), r.tops());
        }
    }

    static DType parseDType(String name) {
        for (DType dtype : DType.values()) {
            if (dtype.label().equals(name)) {
                return dtype;
            }
        }
        throw new IllegalArgumentException("unknown dtype '" + name + "'; use fp16, bf16 or fp32");
    }

    /** Rotating Q/K/V sets on the device, each with its own preprocessing workspace. */
    static final class InputSets implements AutoCloseable {
        final DeviceTensor[] q;
        final DeviceTensor[] k;
        final DeviceTensor[] v;
        final Workspace[] workspace;
        final int headDim;

        private InputSets(int count, int headDim) {
            q = new DeviceTensor[count];
            k = new DeviceTensor[count];
            v = new DeviceTensor[count];
            workspace = new Workspace[count];
            this.headDim = headDim;
        }

        int count() {
            return q.length;
        }

        /** Enough sets (2 to 8) that one pass over them moves at least 512 MiB, far more than any L2. */
        static InputSets create(GpuContext context, DType dtype, int batch, int heads, int seqLen, int headDim,
                                CudaStream stream) {
            long tensorBytes = (long) batch * heads * seqLen * headDim * dtype.bytes();
            int count = (int) Math.max(2, Math.min(8, (ROTATION_BYTES + 3 * tensorBytes - 1) / (3 * tensorBytes)));
            InputSets sets = new InputSets(count, headDim);
            try {
                SplittableRandom random = new SplittableRandom(seqLen * 131L + headDim);
                for (int i = 0; i < count; i++) {
                    sets.q[i] = filled(context, dtype, batch, heads, seqLen, headDim, random, 0, stream);
                    sets.k[i] = filled(context, dtype, batch, heads, seqLen, headDim, random, 4.0, stream);
                    sets.v[i] = filled(context, dtype, batch, heads, seqLen, headDim, random, 0, stream);
                    sets.workspace[i] = context.createWorkspace();
                }
                stream.synchronize();
                return sets;
            } catch (RuntimeException e) {
                sets.close();
                throw e;
            }
        }

        /**
         * A tensor of Gaussian values (plus a per-channel bias for K): a 1M-element random chunk, tiled over
         * the tensor with device copies (host generation of 10^9 values would take minutes).
         */
        private static DeviceTensor filled(GpuContext context, DType dtype, int batch, int heads, int seqLen,
                                           int headDim, SplittableRandom random, double channelBias,
                                           CudaStream stream) {
            DeviceTensor tensor = DeviceTensor.allocate(context, dtype, Layout.HND, batch, heads, seqLen, headDim);
            long total = tensor.elementCount();
            int chunk = (int) Math.min(total, CHUNK_ELEMENTS);
            double[] bias = new double[headDim];
            for (int c = 0; c < headDim; c++) {
                bias[c] = channelBias * gaussian(random);
            }
            float[] values = new float[chunk];
            for (int i = 0; i < chunk; i++) {
                values[i] = (float) (gaussian(random) + bias[i % headDim]);
            }
            DeviceBuffer buffer = tensor.buffer();
            try (DeviceBuffer head = buffer.slice(0, (long) chunk * dtype.bytes())) {
                switch (dtype) {
                    case FP32 -> head.copyFromHost(values);
                    case FP16, BF16 -> {
                        short[] bits = new short[chunk];
                        for (int i = 0; i < chunk; i++) {
                            bits[i] = dtype == DType.FP16 ? Fp16.fromFloat(values[i]) : Bf16.fromFloat(values[i]);
                        }
                        head.copyFromHost(bits);
                    }
                }
            }
            long filledBytes = (long) chunk * dtype.bytes();
            long totalBytes = total * dtype.bytes();
            while (filledBytes < totalBytes) {
                long length = Math.min(filledBytes, totalBytes - filledBytes);
                try (DeviceBuffer target = buffer.slice(filledBytes, length)) {
                    target.copyFrom(buffer, 0, length, stream);
                }
                filledBytes += length;
            }
            return tensor;
        }

        private static double gaussian(SplittableRandom random) {
            double u = 1.0 - random.nextDouble();
            return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
        }

        @Override
        public void close() {
            for (int i = 0; i < count(); i++) {
                for (AutoCloseable c : new AutoCloseable[] {q[i], k[i], v[i], workspace[i]}) {
                    if (c != null) {
                        try {
                            c.close();
                        } catch (Exception e) {
                            throw new IllegalStateException("cannot free benchmark inputs: " + e.getMessage(), e);
                        }
                    }
                }
            }
        }
    }
}
