package dev.sagestudio.app.cli;

import dev.sagestudio.app.compare.BackendsHere;
import dev.sagestudio.app.compare.CompareText;
import dev.sagestudio.app.compare.Sweep;
import dev.sagestudio.app.compare.SweepImage;
import dev.sagestudio.app.compare.SweepPlan;
import dev.sagestudio.app.compare.SweepResult;
import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.runtime.OrtRuntime;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sweep}: one prompt through several backends × seeds or step counts, as one grid picture. */
@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generates one prompt with several attention backends (columns; the first is the reference)"
                + " for several seeds or step counts (rows), prints each cell's time and PSNR against the first column"
                + " of its row, and writes the grid as one PNG whose labels show only what differs.",
                "Exit status: 0 done, 1 failed, 2 bad input, 130 cancelled."})
public final class SweepCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    GenerationOptions options = new GenerationOptions();

    @Option(names = "--backends", paramLabel = "NAME", split = ",", description = "Backends, reference first"
            + " (default: all that run here: " + "on a GPU flash-fp16 and the sage-* kernels, else the CPU ones).")
    List<String> backends;

    static final class Rows {
        @Option(names = "--seeds", paramLabel = "N", split = ",", required = true,
                description = "One row per seed (default: one row, --seed).")
        List<Long> seeds;

        @Option(names = "--step-counts", paramLabel = "N", split = ",", required = true,
                description = "One row per step count.")
        List<Long> stepCounts;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Rows rows;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "The grid picture (default:"
            + " sagestudio-sweep-<seed>.png).")
    Path output;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        return CommandRunner.run(err, cancel -> {
            ModelBundle bundle = options.bundle();
            SweepPlan.Axis axis = rows != null && rows.stepCounts != null ? SweepPlan.Axis.STEPS : SweepPlan.Axis.SEEDS;
            List<Long> values = rows == null ? List.of(options.seedOrRandom())
                    : axis == SweepPlan.Axis.STEPS ? rows.stepCounts : rows.seeds;
            SweepPlan plan = new SweepPlan(options.request(), backends != null ? backends : BackendsHere.all(), axis,
                    values);
            Path target = output != null ? output : Path.of("sagestudio-sweep-" + options.seedOrRandom() + ".png");
            if (!target.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png")) {
                throw new IllegalArgumentException("the sweep is written as .png, not " + target.getFileName());
            }
            err.println("model " + bundle.spec().name() + ": " + plan.backends().size() + " backends × "
                    + values.size() + " " + axis.label() + " values");
            SweepResult result = Sweep.run(bundle, plan, OrtRuntime.cpu(options.threads), options.cpuFallback,
                    options.threads, (row, column, done, cells) -> new ConsoleProgress(err, String.format(Locale.ROOT,
                            "[%" + String.valueOf(cells).length() + "d/%d] %-20s %s %d", done + 1, cells,
                            plan.backends().get(column), axis.label(),
                            values.get(row))), cancel);
            out.println(result.caption());
            for (int r = 0; r < result.rowLabels().size(); r++) {
                for (int c = 0; c < result.columnLabels().size(); c++) {
                    SweepResult.Cell cell = result.cells().get(r).get(c);
                    out.printf(Locale.ROOT, "%-14s %-28s %10.1f ms   PSNR %s dB   SSIM %.6f%n",
                            result.rowLabels().get(r), result.columnLabels().get(c), cell.totalMs(),
                            CompareText.psnr(cell.psnr()), cell.ssim());
                }
            }
            CommandRunner.checkOutput(target, err);
            ImageIO.write(SweepImage.render(result), "png", target.toFile());
            out.println("wrote " + target);
            out.flush();
        });
    }
}
