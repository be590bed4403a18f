package dev.sagestudio.app.cli;

import dev.sagestudio.app.service.NativeCache;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sagestudio} command line: one subcommand per job. */
@Command(name = "sagestudio", mixinStandardHelpOptions = true,
        description = "SageStudio: diffusion generation with quantized SageAttention kernels.",
        subcommands = {AccuracyCommand.class, GenerateCommand.class, CompareCommand.class, SweepCommand.class,
            InspectCommand.class, RunOnnxCommand.class, StepTimeCommand.class, BenchCommand.class, GpuInfoCommand.class,
            GpuBenchCommand.class, DoctorCommand.class, CommandLine.HelpCommand.class})
public final class SageStudioCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        NativeCache.configure(); // before any native library unpacks
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (tests run it without exiting the JVM). */
    public static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new SageStudioCli());
        commandLine.setResourceBundle(new BackendNames());
        commandLine.setExecutionExceptionHandler(GpuBenchCommand.noGpuHandler());
        return commandLine;
    }

    @Override
    public void run() {
        // No subcommand given: say what there is rather than doing nothing silently.
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command; try 'sagestudio accuracy'"
                + " or 'sagestudio --help'");
    }
}
