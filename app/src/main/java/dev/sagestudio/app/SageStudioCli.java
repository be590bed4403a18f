package dev.sagestudio.app;

import dev.sagestudio.attention.cli.AccuracyCommand;
import dev.sagestudio.models.cli.InspectCommand;
import dev.sagestudio.models.cli.RunOnnxCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sagestudio} command line: one subcommand per job. */
@Command(name = "sagestudio", mixinStandardHelpOptions = true,
        description = "SageStudio: diffusion generation with quantized SageAttention kernels.",
        subcommands = {AccuracyCommand.class, GenerateCommand.class, CompareCommand.class, InspectCommand.class,
            dev.sagestudio.app.cli.DoctorCommand.class,
            RunOnnxCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class SageStudioCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (tests run it without exiting the JVM). */
    public static CommandLine commandLine() {
        return new CommandLine(new SageStudioCli());
    }

    @Override
    public void run() {
        // No subcommand given: say what there is rather than doing nothing silently.
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command; try 'sagestudio accuracy'"
                + " or 'sagestudio --help'");
    }
}
