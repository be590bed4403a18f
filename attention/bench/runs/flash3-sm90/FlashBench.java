import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sagestudio.attention.bench.BenchRecord;
import dev.sagestudio.attention.bench.GpuBenchmark;
import dev.sagestudio.attention.tensor.DType;
import java.io.File;
import java.util.List;
import java.util.Locale;

/** The Java harness (GpuBenchmark, as the app's gpu-bench runs it) for flash-fp16 only, without the CLI. */
public class FlashBench {
    public static void main(String[] a) throws Exception {
        GpuBenchmark.Settings s = new GpuBenchmark.Settings(4, 32, List.of(128, 64),
                List.of(1024, 2048, 4096, 8192, 16384, 32768), List.of(false), List.of("flash-fp16"), DType.FP16,
                20, 3, 60, 0);
        GpuBenchmark.Result r = new GpuBenchmark(s).run(new GpuBenchmark.Listener() {
            public void started(String d) { System.out.println("benchmarking on " + d); }
            public void measured(BenchRecord x) {
                System.out.printf(Locale.ROOT, "%s D=%d N=%d %s %.3f ms %.1f TOPS [%s]%n", x.backend(), x.headDim(),
                        x.seqLen(), x.includesQuant() ? "with-quant" : "kernel", x.medianMs(), x.tops(), x.kernel());
            }
            public void pointDone(List<BenchRecord> soFar) {}
        });
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(new File(a[0]), r.records());
        r.skipped().forEach(x -> System.out.println("skipped: " + x));
    }
}
