package dev.sagestudio.models.onnx;

import dev.sagestudio.models.onnx.proto.Onnx.StringStringEntryProto;
import dev.sagestudio.models.onnx.proto.Onnx.TensorProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Tensors whose bytes live in a file next to the model ({@code data_location = EXTERNAL}). Every
 * location must name a regular file inside the model's folder: absolute paths, {@code ..} and
 * symbolic links that lead out of the folder are refused, so a downloaded model cannot make us read
 * arbitrary files.
 */
public final class ExternalData {

    /** Where one tensor's bytes are: a file inside the model folder, a byte offset and a length. */
    public record Location(Path file, long offset, long length) {
    }

    private ExternalData() {
    }

    public static boolean isExternal(TensorProto tensor) {
        return tensor.getDataLocation() == TensorProto.DataLocation.EXTERNAL;
    }

    /**
     * Resolves and checks the location of an external tensor.
     *
     * @throws OnnxModelException if the entry is malformed, leaves {@code folder}, names no regular
     *     file, or the byte range does not fit in the file
     */
    public static Location locate(TensorProto tensor, Path folder) {
        String name = tensor.getName();
        String location = null;
        long offset = 0;
        long length = -1;
        for (StringStringEntryProto entry : tensor.getExternalDataList()) {
            switch (entry.getKey()) {
                case "location" -> location = entry.getValue();
                case "offset" -> offset = parseNonNegative(name, "offset", entry.getValue());
                case "length" -> length = parseNonNegative(name, "length", entry.getValue());
                default -> {
                    // "checksum" and future keys do not affect where the bytes are.
                }
            }
        }
        if (location == null || location.isEmpty()) {
            throw new OnnxModelException("tensor '" + name + "' is stored externally but has no 'location' entry");
        }
        Path base;
        Path file;
        try {
            base = folder.toRealPath();
            Path relative = Path.of(location);
            if (relative.isAbsolute()) {
                throw escaping(name, location, folder, "it is an absolute path");
            }
            file = base.resolve(relative).normalize();
            if (!file.startsWith(base)) {
                throw escaping(name, location, folder, "it leads out of the model folder");
            }
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new OnnxModelException("external data file '" + location + "' of tensor '" + name
                        + "' does not exist in " + folder);
            }
            Path real = file.toRealPath();
            if (!real.startsWith(base)) {
                throw escaping(name, location, folder, "a symbolic link on the way leads out of the model folder");
            }
            if (!Files.isRegularFile(real)) {
                throw new OnnxModelException("external data location '" + location + "' of tensor '" + name
                        + "' is not a regular file");
            }
            file = real;
        } catch (IOException | java.nio.file.InvalidPathException e) {
            throw new OnnxModelException("cannot resolve external data location '" + location + "' of tensor '"
                    + name + "': " + e.getMessage(), e);
        }
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new OnnxModelException("cannot read size of external data file " + file + ": " + e.getMessage(), e);
        }
        if (length < 0) {
            length = size - offset;
        }
        if (offset > size || length < 0 || offset + length > size) {
            throw new OnnxModelException("external data of tensor '" + name + "' claims bytes [" + offset + ", "
                    + (offset + Math.max(length, 0)) + ") but " + location + " has only " + size + " bytes");
        }
        return new Location(file, offset, length);
    }

    /** The bytes at {@code at} (for small constants: the whole range is read into memory). */
    static byte[] read(Location at) {
        if (at.length() > Integer.MAX_VALUE) {
            throw new OnnxModelException("external data range of " + at.length() + " bytes in " + at.file()
                    + " is too large to read at once");
        }
        java.nio.ByteBuffer target = java.nio.ByteBuffer.allocate((int) at.length());
        try (java.nio.channels.FileChannel file = java.nio.channels.FileChannel.open(at.file())) {
            while (target.hasRemaining()) {
                if (file.read(target, at.offset() + target.position()) < 0) {
                    throw new OnnxModelException("external data file " + at.file() + " ended before byte "
                            + (at.offset() + at.length()));
                }
            }
        } catch (IOException e) {
            throw new OnnxModelException("cannot read external data file " + at.file() + ": " + e.getMessage(), e);
        }
        return target.array();
    }

    private static long parseNonNegative(String tensor, String key, String text) {
        try {
            long value = Long.parseLong(text.trim());
            if (value < 0) {
                throw new NumberFormatException("negative");
            }
            return value;
        } catch (NumberFormatException e) {
            throw new OnnxModelException("external data '" + key + "' of tensor '" + tensor
                    + "' must be a non-negative integer, got '" + text + "'");
        }
    }

    private static OnnxModelException escaping(String tensor, String location, Path folder, String why) {
        return new OnnxModelException("refusing external data location '" + location + "' of tensor '" + tensor
                + "': " + why + " (external data must stay inside " + folder + ")");
    }
}
