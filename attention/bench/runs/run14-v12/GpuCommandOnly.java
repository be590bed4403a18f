// Device-bundle launcher (run 14): the app's gpu-info or gpu-bench command alone, so picocli reflects over
// that command only and the bundled runtime needs no java.desktop (SageStudioCli's other subcommands have
// AWT types in their signatures), which keeps the bundle inside one device call's carry limit.
public final class GpuCommandOnly {
    public static void main(String[] args) {
        Object command = switch (args[0]) {
            case "info" -> new dev.sagestudio.app.cli.GpuInfoCommand();
            case "bench" -> new dev.sagestudio.app.cli.GpuBenchCommand();
            default -> throw new IllegalArgumentException("info or bench, not " + args[0]);
        };
        System.exit(new picocli.CommandLine(command).execute(java.util.Arrays.copyOfRange(args, 1, args.length)));
    }
}
