package dev.sagestudio.app.cli;

import dev.sagestudio.attention.AttentionBackend;
import dev.sagestudio.models.bundle.BundleException;
import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.onnx.GraphPartitioner;
import dev.sagestudio.models.onnx.OnnxModel;
import dev.sagestudio.models.onnx.OnnxModelException;
import dev.sagestudio.models.onnx.PartitionPlan;
import dev.sagestudio.models.onnx.ValueTable;
import dev.sagestudio.models.onnx.proto.Onnx.OperatorSetIdProto;
import dev.sagestudio.models.onnx.proto.Onnx.ValueInfoProto;
import dev.sagestudio.models.runtime.AttentionReport;
import dev.sagestudio.models.runtime.OrtRuntime;
import dev.sagestudio.models.runtime.OrtRuntimeException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code inspect <model.onnx | folder>}: the attention nodes of ONNX graphs, their shapes and who runs them. */
@Command(name = "inspect", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Lists every attention of an ONNX model (ONNX Attention, opset 23+, com.microsoft::MultiHeadAttention, and"
                    + " attention written out as MatMul -> Softmax -> MatMul) with the pattern that matched, its Q/K/V"
                    + " shapes and the backend that will run it, or why ONNX Runtime keeps it; what looks like"
                    + " attention but did not match, with the reason; and how the graph is cut into ONNX Runtime"
                    + " segments and attention steps.",
            "Given a model bundle (a folder with model.json), inspects its components; given another folder,"
                    + " every .onnx file in it.",
            "Shapes the file does not declare are found by one probe run of the whole graph on the CPU."})
public final class InspectCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "An .onnx file, or a folder holding .onnx files.")
    Path path;

    @Mixin
    AttentionOptions attention = new AttentionOptions();

    @Option(names = "--no-probe", description = "Do not run the graph; report declared shapes only.")
    boolean noProbe;

    @Option(names = "--threads", description = "ONNX Runtime threads for the probe run (default: ${DEFAULT-VALUE}).")
    int threads = Math.min(2, dev.sagestudio.models.runtime.ThreadLimit.max());

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        AttentionBackend chosen = attention.backend(spec);
        List<Path> files;
        try {
            files = modelFiles();
        } catch (BundleException e) {
            // the bundle's own problem, not a wrong command line: the message, without the usage text
            err.println("inspect " + path + ": " + e.getMessage());
            err.flush();
            return 2;
        }
        int status = 0;
        for (Path file : files) {
            try {
                out.print(inspect(file, chosen));
            } catch (OnnxModelException | OrtRuntimeException e) {
                err.println("inspect " + file + ": " + e.getMessage());
                status = 1;
            }
            out.flush();
        }
        return status;
    }

    private List<Path> modelFiles() throws BundleException {
        if (Files.isRegularFile(path)) {
            return List.of(path);
        }
        if (!Files.isDirectory(path)) {
            throw new ParameterException(spec.commandLine(), path + " is neither an .onnx file nor a folder");
        }
        if (Files.exists(path.resolve("model.json"))) {
            // A model bundle: its validated components, in pipeline order.
            ModelBundle bundle = ModelBundle.load(path);
            List<Path> components = new ArrayList<>(bundle.textEncoderFiles());
            components.add(bundle.denoiserFile());
            bundle.vaeDecoderFile().ifPresent(components::add);
            return components;
        }
        try (Stream<Path> walk = Files.walk(path, 4)) {
            List<Path> found = new ArrayList<>(walk.filter(p -> p.getFileName().toString().endsWith(".onnx"))
                    .filter(Files::isRegularFile).sorted().toList());
            if (found.isEmpty()) {
                throw new ParameterException(spec.commandLine(), "no .onnx files in " + path);
            }
            return found;
        } catch (IOException e) {
            throw new ParameterException(spec.commandLine(), "cannot list " + path + ": " + e.getMessage());
        }
    }

    private String inspect(Path file, AttentionBackend chosen) {
        OnnxModel model = OnnxModel.load(file);
        PartitionPlan plan = GraphPartitioner.partition(model);
        StringBuilder text = new StringBuilder();
        text.append("== ").append(file).append('\n');
        var proto = model.proto();
        text.append("producer: ").append(proto.getProducerName().isEmpty() ? "?" : proto.getProducerName())
                .append(' ').append(proto.getProducerVersion()).append(", IR version ").append(proto.getIrVersion())
                .append(", opsets:");
        for (OperatorSetIdProto opset : proto.getOpsetImportList()) {
            text.append(' ').append(opset.getDomain().isEmpty() ? "ai.onnx" : opset.getDomain()).append('=')
                    .append(opset.getVersion());
        }
        text.append('\n');
        ValueTable values = new ValueTable(model.graph());
        text.append(model.graph().getNodeCount()).append(" nodes, ")
                .append(model.graph().getInitializerCount()).append(" initializers\n");
        for (String name : plan.graphInputs()) {
            text.append("input  ").append(name).append(": ")
                    .append(values.get(name).map(ValueTable.Declared::describe).orElse("undeclared")).append('\n');
        }
        for (ValueInfoProto output : model.graph().getOutputList()) {
            text.append("output ").append(output.getName()).append(": ")
                    .append(values.get(output.getName()).map(ValueTable.Declared::describe).orElse("undeclared"))
                    .append('\n');
        }
        text.append(plan.describe());
        List<AttentionReport.Entry> entries;
        if (noProbe) {
            entries = AttentionReport.build(plan, chosen, null, attention.dims);
        } else {
            try (OrtRuntime runtime = OrtRuntime.cpu(threads)) {
                entries = AttentionReport.build(plan, chosen, runtime, attention.dims);
            }
        }
        text.append(AttentionReport.format(entries, plan.unmatched()));
        return text.toString();
    }

}
