package dev.sagestudio.models.onnx;

import dev.sagestudio.models.onnx.proto.Onnx.TensorProto;

/** Small constant tensors for hand-built test graphs. */
final class TestTensors {
    private TestTensors() {
    }

    static TensorProto int64(String name, long[] dims, long... values) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(ElementTypes.INT64);
        for (long d : dims) {
            t.addDims(d);
        }
        for (long v : values) {
            t.addInt64Data(v);
        }
        return t.build();
    }

    static TensorProto floats(String name, long[] dims, float... values) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(ElementTypes.FLOAT);
        for (long d : dims) {
            t.addDims(d);
        }
        for (float v : values) {
            t.addFloatData(v);
        }
        return t.build();
    }
}
