package dev.sagestudio.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
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
}
