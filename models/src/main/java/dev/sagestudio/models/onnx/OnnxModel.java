package dev.sagestudio.models.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.sagestudio.models.onnx.proto.Onnx.GraphProto;
import dev.sagestudio.models.onnx.proto.Onnx.ModelProto;
import dev.sagestudio.models.onnx.proto.Onnx.OperatorSetIdProto;
import dev.sagestudio.models.onnx.proto.Onnx.TensorProto;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * An ONNX model and the folder its external data is read from. Loading checks every external data
 * location up front (see {@link ExternalData}), so a hostile file is refused before anything runs.
 */
public final class OnnxModel {
    /** The ONNX domain of the standard operators, spelled either way in files. */
    public static final String DEFAULT_DOMAIN = "";

    private final ModelProto proto;
    private final Path folder;
    private final String source;

    private OnnxModel(ModelProto proto, Path folder, String source) {
        this.proto = proto;
        this.folder = folder;
        this.source = source;
    }

    /** Reads and checks {@code file}; external data is looked for next to it. */
    public static OnnxModel load(Path file) {
        Objects.requireNonNull(file, "file");
        if (!Files.isRegularFile(file)) {
            throw new OnnxModelException("ONNX model " + file + " does not exist or is not a file");
        }
        ModelProto proto;
        try (InputStream in = Files.newInputStream(file)) {
            CodedInputStream coded = CodedInputStream.newInstance(in);
            coded.setSizeLimit(Integer.MAX_VALUE);
            coded.setRecursionLimit(500); // nested If/Loop bodies go deeper than protobuf's default
            proto = ModelProto.parseFrom(coded);
        } catch (InvalidProtocolBufferException e) {
            throw new OnnxModelException("" + file + " is not a valid ONNX model (protobuf parse failed: "
                    + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new OnnxModelException("cannot read ONNX model " + file + ": " + e.getMessage(), e);
        }
        Path folder = file.toAbsolutePath().getParent();
        return of(proto, folder, file.toString());
    }

    /** A model held in memory whose external data (if any) lies in {@code folder}. */
    public static OnnxModel of(ModelProto proto, Path folder, String source) {
        Objects.requireNonNull(proto, "proto");
        Objects.requireNonNull(folder, "folder");
        if (!proto.hasGraph()) {
            throw new OnnxModelException(source + " has no graph");
        }
        if (proto.getOpsetImportCount() == 0) {
            throw new OnnxModelException(source + " imports no operator set (opset_import is empty)");
        }
        OnnxModel model = new OnnxModel(proto, folder, source);
        for (TensorProto initializer : proto.getGraph().getInitializerList()) {
            if (ExternalData.isExternal(initializer)) {
                ExternalData.locate(initializer, folder);
            }
        }
        return model;
    }

    public ModelProto proto() {
        return proto;
    }

    public GraphProto graph() {
        return proto.getGraph();
    }

    /** The folder that external data locations are relative to. */
    public Path folder() {
        return folder;
    }

    /** Where the model came from, for messages. */
    public String source() {
        return source;
    }

    /** The imported version of {@code domain} ({@code ""} and {@code ai.onnx} are the same), or -1. */
    public long opsetVersion(String domain) {
        String wanted = normalizeDomain(domain);
        for (OperatorSetIdProto opset : proto.getOpsetImportList()) {
            if (normalizeDomain(opset.getDomain()).equals(wanted)) {
                return opset.getVersion();
            }
        }
        return -1;
    }

    static String normalizeDomain(String domain) {
        return "ai.onnx".equals(domain) ? DEFAULT_DOMAIN : domain;
    }
}
