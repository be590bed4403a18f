package dev.sagestudio.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class GpuBenchCommandTest {

    @Test
    void theCommandLineTakesListsOfDimsLengthsAndCausalSettings() {
        GpuBenchCommand bench = new GpuBenchCommand();
        new picocli.CommandLine(bench).parseArgs("--out", "x.json", "--head-dims", "128", "--seq-lens", "1024,4096",
                "--causal", "false,true", "--backends", "flash-fp16");
        assertEquals(List.of(128), bench.headDims);
        assertEquals(List.of(1024, 4096), bench.seqLens);
        assertEquals(List.of(false, true), bench.causalModes);
        assertEquals(List.of("flash-fp16"), bench.backends);
        GpuBenchCommand defaults = new GpuBenchCommand();
        new picocli.CommandLine(defaults).parseArgs("--out", "x.json");
        assertEquals(List.of(false, true), defaults.causalModes);
        assertEquals(List.of(1024, 2048, 4096, 8192, 16384, 32768), defaults.seqLens);
        assertEquals(20, defaults.runs);
    }
}
