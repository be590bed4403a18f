package dev.sagestudio.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.attention.catalog.BackendCatalog;
import dev.sagestudio.attention.catalog.BackendDevice;
import dev.sagestudio.attention.gpu.GpuStatus;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class SageStudioCliTest {

    @Test
    void accuracySubcommandPrintsTheTable() {
        CommandLine cli = SageStudioCli.commandLine();
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        int exit = cli.execute("accuracy", "--seq-len", "64", "--head-dim", "64", "--heads", "1",
                "--distribution", "normal", "--variant", "cpu-sage-int8-fp16");
        assertEquals(0, exit);
        assertTrue(out.toString().contains("cpu-sage-int8-fp16"), out.toString());
        assertTrue(out.toString().contains("cpu-reference"), out.toString());
    }

    @Test
    void noSubcommandIsAnErrorThatSaysWhatToDo() {
        CommandLine cli = SageStudioCli.commandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        assertNotEquals(0, cli.execute());
        assertTrue(err.toString().contains("sagestudio accuracy"), err.toString());
    }

    @Test
    void backendHelpListsTheCatalogsNames() {
        BackendCatalog catalog = BackendCatalog.standard();
        for (String command : new String[] {"generate", "compare", "run-onnx", "inspect"}) {
            CommandLine cli = SageStudioCli.commandLine();
            StringWriter out = new StringWriter();
            cli.setOut(new PrintWriter(out));
            assertEquals(0, cli.execute(command, "--help"));
            // picocli wraps long descriptions anywhere: compare with all white space taken out
            String help = noSpace(out.toString());
            assertTrue(help.contains(noSpace(catalog.substituteCpuNamesSummary())), command + ": " + help);
            assertFalse(help.contains("${bundle:"), command + ": " + help);
        }
        String generate = helpOf("generate");
        assertTrue(generate.contains(noSpace(catalog.cpuNamesSummary())) && generate.contains(
                noSpace(catalog.gpuNames())), generate);
    }

    private static String helpOf(String command) {
        CommandLine cli = SageStudioCli.commandLine();
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.execute(command, "--help");
        return noSpace(out.toString());
    }

    private static String noSpace(String text) {
        return text.replaceAll("\\s+", "");
    }

    @Test
    void withoutAGpuTheGpuCommandsSayWhyAndExitWithTheirStatus() {
        Assumptions.assumeFalse(GpuStatus.probe().available(), "this machine has a GPU; the GPU bundle covers it");
        CommandLine info = SageStudioCli.commandLine();
        StringWriter out = new StringWriter();
        info.setOut(new PrintWriter(out));
        assertEquals(1, info.execute("gpu-info"));
        assertTrue(out.toString().startsWith(GpuStatus.probe().message()), out.toString());
        for (String gpu : BackendCatalog.standard().names(BackendDevice.GPU)) {
            assertTrue(out.toString().contains(gpu + ": does not run here: "), out.toString());
        }
        CommandLine bench = SageStudioCli.commandLine();
        StringWriter err = new StringWriter();
        bench.setErr(new PrintWriter(err));
        assertEquals(3, bench.execute("gpu-bench", "--out", "unused.json", "--seq-lens", "1024"));
        assertTrue(err.toString().startsWith("gpu-bench: " + GpuStatus.probe().message()), err.toString());
    }
}
