package dev.sagestudio.models.runtime;

import dev.sagestudio.models.onnx.OnnxModel;
import dev.sagestudio.models.onnx.proto.Onnx.GraphProto;
import dev.sagestudio.models.onnx.proto.Onnx.ModelProto;
import dev.sagestudio.models.onnx.proto.Onnx.ValueInfoProto;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The unpartitioned graph in one ONNX Runtime session: the baseline our substitutions are compared with. */
public final class WholeModel implements AutoCloseable {
    private final OrtSessionRunner session;
    private final List<String> outputs;

    private WholeModel(OrtSessionRunner session, List<String> outputs) {
        this.session = session;
        this.outputs = outputs;
    }

    /** The model as it is. */
    public static WholeModel open(OnnxModel model, OrtRuntime runtime) {
        return open(model, runtime, List.of());
    }

    /**
     * The model with {@code extraOutputs} (intermediate tensors) exposed as additional graph outputs,
     * e.g. to learn the shapes of attention inputs.
     */
    public static WholeModel open(OnnxModel model, OrtRuntime runtime, List<String> extraOutputs) {
        ModelProto proto = model.proto();
        GraphProto.Builder graph = proto.getGraph().toBuilder();
        Set<String> present = new HashSet<>();
        graph.getOutputList().forEach(o -> present.add(o.getName()));
        Map<String, ValueInfoProto> declared = new HashMap<>();
        graph.getValueInfoList().forEach(v -> declared.put(v.getName(), v));
        for (String name : extraOutputs) {
            if (present.add(name)) {
                graph.addOutput(declared.getOrDefault(name, ValueInfoProto.newBuilder().setName(name).build()));
            }
        }
        List<String> outputs = graph.getOutputList().stream().map(ValueInfoProto::getName).toList();
        OrtSessionRunner session = runtime.open(proto.toBuilder().setGraph(graph).build(), model.folder(),
                "the whole graph of " + model.source());
        return new WholeModel(session, outputs);
    }

    public RunResult run(Map<String, HostArray> inputs) {
        long start = System.nanoTime();
        Map<String, OrtTensor> given = new LinkedHashMap<>();
        Map<String, OrtTensor> produced = Map.of();
        Transfers transfers = new Transfers();
        try {
            for (String name : session.inputNames()) {
                HostArray array = inputs.get(name);
                if (array == null) {
                    throw new IllegalArgumentException("missing model input '" + name + "' (the model takes "
                            + session.inputNames() + ")");
                }
                given.put(name, OrtTensor.copyOf(array));
                transfers.upload(array.bytes().length);
            }
            long t0 = System.nanoTime();
            produced = session.run(given, outputs);
            long ort = System.nanoTime() - t0;
            Map<String, HostArray> out = new LinkedHashMap<>();
            for (String name : outputs) {
                HostArray array = produced.get(name).toHost();
                transfers.download(array.bytes().length);
                out.put(name, array);
            }
            return new RunResult(out, System.nanoTime() - start, ort, 0, List.of(), transfers);
        } finally {
            given.values().forEach(OrtTensor::close);
            produced.values().forEach(OrtTensor::close);
        }
    }

    public List<String> inputNames() {
        return session.inputNames();
    }

    @Override
    public void close() {
        session.close();
    }
}
