package dev.sagestudio.models.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import dev.sagestudio.models.onnx.proto.Onnx.ModelProto;
import dev.sagestudio.models.onnx.proto.Onnx.StringStringEntryProto;
import dev.sagestudio.models.onnx.proto.Onnx.TensorProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxModelTest {
    @TempDir
    Path dir;

    /** A one-MatMul model whose weight lives in external data at {@code location}. */
    static ModelProto externalWeightModel(String location, long offset, long length) {
        TinyGraph g = new TinyGraph(3);
        String x = g.input("x", 2, 4);
        g.graph().addInitializer(TensorProto.newBuilder().setName("w").setDataType(ElementTypes.FLOAT).addDims(4)
                .addDims(3).setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(entry("location", location)).addExternalData(entry("offset", "" + offset))
                .addExternalData(entry("length", "" + length)));
        g.graph().addNode(g.node("MatMul", new String[] {x, "w"}, "y"));
        g.output("y", 2, 3);
        return g.build();
    }

    static StringStringEntryProto entry(String key, String value) {
        return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }

    private Path write(String name, ModelProto model) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.write(file, model.toByteArray());
        return file;
    }

    @Test
    void unknownFieldsSurviveParseAndSerialize() throws Exception {
        // Field 25 (model-local functions) and a graph field are not in our subset; they must not be dropped.
        ModelProto original = new TinyGraph(1).build().toBuilder()
                .setUnknownFields(UnknownFieldSet.newBuilder().addField(25, UnknownFieldSet.Field.newBuilder()
                        .addLengthDelimited(ByteString.copyFromUtf8("function-bytes")).build()).build())
                .build();
        byte[] bytes = original.toByteArray();
        byte[] again = ModelProto.parseFrom(bytes).toByteArray();
        assertArrayEquals(bytes, again);
        assertTrue(ModelProto.parseFrom(bytes).getUnknownFields().hasField(25));
    }

    @Test
    void externalDataInsideTheFolderIsLocated() throws Exception {
        byte[] weights = new byte[64 + 48];
        new Random(5).nextBytes(weights);
        Files.write(dir.resolve("weights.bin"), weights);
        Path file = write("model.onnx", externalWeightModel("weights.bin", 64, 48));
        OnnxModel model = OnnxModel.load(file);
        ExternalData.Location at = ExternalData.locate(model.graph().getInitializer(0), model.folder());
        assertEquals(dir.toRealPath().resolve("weights.bin"), at.file());
        assertEquals(64, at.offset());
        assertEquals(48, at.length());
    }

    @Test
    void externalDataLeavingTheFolderIsRefused() throws Exception {
        Files.write(dir.resolve("secret.bin"), new byte[48]);
        Path file = write("model/model.onnx", externalWeightModel("../secret.bin", 0, 48));
        OnnxModelException e = assertThrows(OnnxModelException.class, () -> OnnxModel.load(file));
        assertTrue(e.getMessage().contains("leads out of the model folder"), e.getMessage());
        assertTrue(e.getMessage().contains("'w'"), e.getMessage());
    }

    @Test
    void absoluteExternalDataLocationIsRefused() throws Exception {
        Path secret = Files.write(dir.resolve("secret.bin"), new byte[48]);
        Path file = write("model/model.onnx", externalWeightModel(secret.toString(), 0, 48));
        OnnxModelException e = assertThrows(OnnxModelException.class, () -> OnnxModel.load(file));
        assertTrue(e.getMessage().contains("absolute path"), e.getMessage());
    }

    @Test
    void symbolicLinkOutOfTheFolderIsRefused() throws Exception {
        Path secret = Files.write(dir.resolve("secret.bin"), new byte[48]);
        Path folder = Files.createDirectories(dir.resolve("model"));
        Files.createSymbolicLink(folder.resolve("weights.bin"), secret);
        Path file = write("model/model.onnx", externalWeightModel("weights.bin", 0, 48));
        OnnxModelException e = assertThrows(OnnxModelException.class, () -> OnnxModel.load(file));
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
    }

    @Test
    void externalDataRangeBeyondTheFileIsRefused() throws Exception {
        Files.write(dir.resolve("weights.bin"), new byte[40]);
        Path file = write("model.onnx", externalWeightModel("weights.bin", 0, 48));
        OnnxModelException e = assertThrows(OnnxModelException.class, () -> OnnxModel.load(file));
        assertTrue(e.getMessage().contains("has only 40 bytes"), e.getMessage());
    }

    @Test
    void missingExternalFileIsNamed() throws Exception {
        Path file = write("model.onnx", externalWeightModel("nowhere.bin", 0, 48));
        OnnxModelException e = assertThrows(OnnxModelException.class, () -> OnnxModel.load(file));
        assertTrue(e.getMessage().contains("nowhere.bin") && e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void garbageIsNotAModel() throws Exception {
        Path file = Files.write(dir.resolve("model.onnx"), new byte[] {(byte) 0xff, (byte) 0xff, 0x12, 0x7f});
        OnnxModelException e = assertThrows(OnnxModelException.class, () -> OnnxModel.load(file));
        assertTrue(e.getMessage().contains("not a valid ONNX model"), e.getMessage());
    }

    @Test
    void aModelWithoutOpsetImportsIsRefused() throws Exception {
        Path file = write("model.onnx", new TinyGraph(1).build().toBuilder().clearOpsetImport().build());
        OnnxModelException e = assertThrows(OnnxModelException.class, () -> OnnxModel.load(file));
        assertTrue(e.getMessage().contains("opset_import"), e.getMessage());
    }
}
