package dev.sagestudio.attention.bench;

import dev.sagestudio.attention.AttentionShape;
import dev.sagestudio.attention.catalog.BackendCatalog;
import dev.sagestudio.attention.gpu.CudaEvent;
import dev.sagestudio.attention.gpu.CudaStream;
import dev.sagestudio.attention.gpu.DeviceBuffer;
import dev.sagestudio.attention.gpu.DeviceTensor;
import dev.sagestudio.attention.gpu.GpuAttentionBackend;
import dev.sagestudio.attention.gpu.GpuBackends;
import dev.sagestudio.attention.gpu.GpuContext;
import dev.sagestudio.attention.gpu.Workspace;
import dev.sagestudio.attention.tensor.Bf16;
import dev.sagestudio.attention.tensor.DType;
import dev.sagestudio.attention.tensor.Fp16;
import dev.sagestudio.attention.tensor.Layout;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Times our GPU attention kernels with CUDA events: warm-up, then the median of {@code runs} timed runs,
 * rotating between input sets so no run finds its inputs in L2. Quantized kernels are timed with and
 * without their preprocessing (K mean, INT8/FP8 quantization, conversions) from the same runs. Results are
 * {@link BenchRecord}s, handed to a {@link Listener} as they are measured (the command line prints and saves them).
 */
public final class GpuBenchmark {
    private static final long ROTATION_BYTES = 512L << 20;
    private static final int CHUNK_ELEMENTS = 1 << 20;

    /**
     * What to time.
     *
     * @param budgetSeconds stop starting new points after this many seconds (0 = no limit)
     */
    public record Settings(int batch, int heads, List<Integer> headDims, List<Integer> seqLens,
                           List<Boolean> causalModes, List<String> backends, DType dtype, int runs, int warmup,
                           double budgetSeconds, int device) {
        public Settings {
            headDims = List.copyOf(headDims);
            seqLens = List.copyOf(seqLens);
            causalModes = List.copyOf(causalModes);
            backends = List.copyOf(backends);
            Objects.requireNonNull(dtype, "dtype");
            if (runs < 1 || warmup < 0 || batch < 1 || heads < 1) {
                throw new IllegalArgumentException(
                        "--runs, --batch and --heads must be positive and --warmup not negative");
            }
        }
    }

    /** Told what the benchmark does, as it does it. */
    public interface Listener {
        /** The GPU the benchmark runs on, once before the first point. */
        void started(String deviceDescription);

        /** One measured record. */
        void measured(BenchRecord record);

        /** After every (head dim, length) point, with every record so far (e.g. to save them). */
        void pointDone(List<BenchRecord> recordsSoFar);
    }

    /** What a run leaves: the records, and the points or backends skipped with the reason. */
    public record Result(List<BenchRecord> records, List<String> skipped) {
        public Result {
            records = List.copyOf(records);
            skipped = List.copyOf(skipped);
        }
    }

    private final Settings settings;
    private final int runs;
    private final int warmup;

    public GpuBenchmark(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.runs = settings.runs();
        this.warmup = settings.warmup();
    }

    /**
     * Runs every point.
     *
     * @throws dev.sagestudio.attention.gpu.GpuUnavailableException when there is no usable GPU (with the reason)
     */
    public Result run(Listener listener) {
        Settings s = settings;
        List<BenchRecord> records = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        DType dtype = s.dtype();
        long deadline = s.budgetSeconds() > 0 ? System.nanoTime() + (long) (s.budgetSeconds() * 1e9) : Long.MAX_VALUE;
        try (GpuBackends gpu = GpuBackends.open(s.device()); CudaStream stream = gpu.context().createStream()) {
            GpuContext context = gpu.context();
            String gpuName = context.device().name();
            String date = LocalDate.now(ZoneOffset.UTC).toString();
            listener.started(context.device().describe());
            for (int headDim : s.headDims()) {
                for (int seqLen : s.seqLens()) {
                    if (System.nanoTime() > deadline) {
                        skipped.add("D=" + headDim + " N=" + seqLen + " (time budget spent)");
                        continue;
                    }
                    try (InputSets sets = InputSets.create(context, dtype, s.batch(), s.heads(), seqLen, headDim,
                            stream);
                         DeviceTensor o = DeviceTensor.allocate(context, dtype, Layout.HND, s.batch(), s.heads(),
                                 seqLen, headDim)) {
                        for (boolean causal : s.causalModes()) {
                            for (String name : s.backends()) {
                                GpuAttentionBackend backend = BackendCatalog.standard().require(name).createOn(gpu);
                                Optional<String> why = backend.unsupportedReason(new AttentionShape(s.batch(),
                                        s.heads(), s.heads(), seqLen, seqLen, headDim, dtype, Layout.HND, causal));
                                if (why.isPresent()) {
                                    skipped.add(name + " D=" + headDim + " N=" + seqLen + ": " + why.get());
                                    continue;
                                }
                                double[][] ms = time(context, backend, sets, o, causal, stream);
                                String kernel = backend.attentionKernel(headDim);
                                records.add(record(gpuName, date, name, headDim, seqLen, causal, false, ms[0], kernel,
                                        listener));
                                if (backend.variant().quantized() || dtype == DType.FP32) {
                                    records.add(record(gpuName, date, name, headDim, seqLen, causal, true, ms[1],
                                            kernel, listener));
                                }
                            }
                        }
                    }
                    listener.pointDone(List.copyOf(records));
                }
            }
        }
        return new Result(records, skipped);
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

    private BenchRecord record(String gpu, String date, String backend, int headDim, int seqLen, boolean causal,
                               boolean includesQuant, double[] ms, String kernel, Listener listener) {
        double median = Timings.median(ms);
        int batch = settings.batch();
        int heads = settings.heads();
        BenchRecord record = new BenchRecord(gpu, date, backend, batch, heads, headDim, seqLen, causal, includesQuant,
                BenchRecord.tops(batch, heads, seqLen, headDim, causal, median), median, ms.length,
                settings.dtype().label(), kernel);
        listener.measured(record);
        return record;
    }

    /** The dtype called {@code name} ({@code fp16}, {@code bf16}, {@code fp32}). */
    public static DType parseDType(String name) {
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
