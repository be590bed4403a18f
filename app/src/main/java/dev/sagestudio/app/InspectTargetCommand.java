package dev.sagestudio.app;

import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.bundle.ModelSpec;
import dev.sagestudio.models.cli.InspectCommand;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code inspect <bundle|onnx>}: for an ONNX file, the ONNX inspector as it is; for a bundle folder, the bundle's
 * summary and then the inspector on each of its graphs.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Lists each attention node of an ONNX file, or of every graph of a model bundle, with its shapes"
                + " and the backend that will run it (or why ONNX Runtime keeps it).",
                "Options after the path go to the ONNX inspector (see 'sagestudio inspect x.onnx --help' for them:"
                + " --backend, --dim, --threads)."})
public final class InspectTargetCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "BUNDLE|MODEL.onnx", description = "A model bundle folder or an .onnx file.")
    Path target;

    @Unmatched
    List<String> rest = new ArrayList<>();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!Files.isDirectory(target)) {
            return inspect(target, out, err);
        }
        return CommandRunner.run(err, cancel -> {
            ModelBundle bundle = ModelBundle.load(target);
            ModelSpec s = bundle.spec();
            out.println("bundle " + s.name() + " (" + s.displayName() + "), " + s.kind().jsonName() + ", sample "
                    + s.sample().channels() + "x" + (s.sample().frames() == null ? 1 : s.sample().frames()) + "x"
                    + s.sample().height() + "x" + s.sample().width() + " (latent scale " + s.sample().latentScale()
                    + "), prediction " + s.prediction().jsonName() + ", scheduler " + bundle.schedulerConfig().name()
                    .jsonName() + ", " + s.defaults().steps() + " steps, guidance " + s.defaults().guidanceScale()
                    + ", license " + s.license().spdx());
            List<Path> graphs = new ArrayList<>(List.of(bundle.textEncoderFile(), bundle.denoiserFile()));
            bundle.vaeDecoderFile().ifPresent(graphs::add);
            int status = 0;
            for (Path graph : graphs) {
                out.println();
                out.println("== " + bundle.root().relativize(graph));
                out.flush();
                status = Math.max(status, inspect(graph, out, err));
            }
            if (status != 0) {
                throw new IllegalStateException("inspecting a graph failed (exit status " + status + ")");
            }
        });
    }

    private int inspect(Path onnx, PrintWriter out, PrintWriter err) {
        CommandLine inspector = new CommandLine(new InspectCommand());
        inspector.setOut(out);
        inspector.setErr(err);
        List<String> args = new ArrayList<>();
        args.add(onnx.toString());
        args.addAll(rest);
        return inspector.execute(args.toArray(String[]::new));
    }
}
