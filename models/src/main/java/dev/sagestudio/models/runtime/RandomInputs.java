package dev.sagestudio.models.runtime;

import dev.sagestudio.models.onnx.ElementTypes;
import dev.sagestudio.models.onnx.OnnxModel;
import dev.sagestudio.models.onnx.ValueTable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Inputs for running a graph nobody gave data for: floating-point inputs get seeded standard
 * normal values, integer and bool inputs zeros. Symbolic dimensions take the value given for their
 * name, else 1; dimensions the file leaves unknown take 1.
 */
public final class RandomInputs {

    private RandomInputs() {
    }

    public static Map<String, HostArray> forModel(OnnxModel model, List<String> inputNames, Map<String, Long> dims,
                                                  long seed) {
        ValueTable values = new ValueTable(model.graph());
        Random random = new Random(seed);
        Map<String, HostArray> out = new LinkedHashMap<>();
        for (String name : inputNames) {
            ValueTable.Declared declared = values.get(name).orElseThrow(() -> new IllegalArgumentException(
                    "graph input '" + name + "' has no declared type; give its data explicitly"));
            long[] shape = new long[declared.rank()];
            for (int i = 0; i < shape.length; i++) {
                String d = declared.dims().get(i);
                try {
                    shape[i] = Long.parseLong(d);
                } catch (NumberFormatException e) {
                    shape[i] = dims.getOrDefault(d, 1L);
                }
            }
            int type = declared.elemType();
            if (type == ElementTypes.FLOAT || type == ElementTypes.FLOAT16 || type == ElementTypes.BFLOAT16
                    || type == ElementTypes.DOUBLE) {
                float[] v = new float[(int) HostArray.elementCount(shape)];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) random.nextGaussian();
                }
                out.put(name, HostArray.ofFloats(type, shape, v));
            } else if (ElementTypes.bytes(type) > 0) {
                out.put(name, HostArray.of(type, shape,
                        new byte[(int) (HostArray.elementCount(shape) * ElementTypes.bytes(type))]));
            } else {
                throw new IllegalArgumentException("graph input '" + name + "' is " + ElementTypes.label(type)
                        + ", which cannot be generated");
            }
        }
        return out;
    }
}
