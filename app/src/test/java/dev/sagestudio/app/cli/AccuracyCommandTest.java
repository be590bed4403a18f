package dev.sagestudio.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class AccuracyCommandTest {

    private record Result(int exit, String out, String err) {}

    private static Result run(String... args) {
        CommandLine cli = new CommandLine(new AccuracyCommand());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Result(exit, out.toString(), err.toString());
    }

    @Test
    void defaultRunReproducesThePapersFindings() throws Exception {
        Result result = run("--format", "json");
        assertEquals(0, result.exit(), result.err());
        JsonNode rows = new ObjectMapper().readTree(result.out());
        Map<String, JsonNode> byKey = new HashMap<>();
        rows.forEach(row -> byKey.put(row.get("distribution").asText() + "/" + row.get("backend").asText(), row));
        assertEquals(3 * 9, rows.size(), "reference plus 8 variants for each of 3 distributions");
        JsonNode smoothed = byKey.get("biased-k/cpu-sage-int8-fp16");
        JsonNode plain = byKey.get("biased-k/cpu-sage-int8-fp16-nosmooth");
        assertTrue(smoothed.get("cosine").asDouble() >= 0.9999, smoothed.toString());
        assertTrue(plain.get("cosine").asDouble() < 0.999, plain.toString());
        double int8 = byKey.get("biased-k/cpu-sage-int8-int8").get("rel_l1").asDouble();
        assertTrue(int8 > 2 * byKey.get("biased-k/cpu-sage-int8-fp8").get("rel_l1").asDouble());
        assertTrue(int8 > 4 * smoothed.get("rel_l1").asDouble());
    }

    @Test
    void textAndMarkdownTablesListEveryVariantAndTheFindings() {
        String[] small = {"--seq-len", "100", "--head-dim", "64", "--heads", "2", "--kv-heads", "1", "--causal",
            "--distribution", "biased-k"};
        Result text = run(small);
        assertEquals(0, text.exit(), text.err());
        assertTrue(text.out().contains("cpu-sage-int8-fp8-per-thread"), text.out());
        assertTrue(text.out().contains("K smoothing"), text.out());
        assertTrue(text.out().contains("Nq=100") && text.out().contains("causal"), text.out());
        String[] markdown = java.util.Arrays.copyOf(small, small.length + 2);
        markdown[small.length] = "--format";
        markdown[small.length + 1] = "markdown";
        Result md = run(markdown);
        assertTrue(md.out().contains("| biased-k | cpu-sage-int8-int8 |"), md.out());
    }

    @Test
    void unsupportedHeadDimIsReportedPerVariant() {
        Result result = run("--seq-len", "16", "--head-dim", "80", "--heads", "1", "--distribution", "normal",
                "--variant", "cpu-sage-int8-fp16");
        assertEquals(0, result.exit(), result.err());
        assertTrue(result.out().contains("unsupported: head dim 80"), result.out());
    }

    @Test
    void badOptionsGiveClearMessages() {
        Result distribution = run("--distribution", "uniform");
        assertNotEquals(0, distribution.exit());
        assertTrue(distribution.err().contains("unknown input distribution 'uniform'"), distribution.err());
        Result heads = run("--heads", "3", "--kv-heads", "2");
        assertNotEquals(0, heads.exit());
        assertTrue(heads.err().contains("must be a multiple of --kv-heads"), heads.err());
        Result variant = run("--variant", "cpu-sage-int8-fp4");
        assertTrue(variant.err().contains("unknown PV mode 'fp4'"), variant.err());
        Result length = run("--seq-len", "0");
        assertTrue(length.err().contains("--seq-len must be positive"), length.err());
    }
}
