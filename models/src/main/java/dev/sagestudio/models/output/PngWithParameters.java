package dev.sagestudio.models.output;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOInvalidTreeException;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageOutputStream;
import org.w3c.dom.Node;

/**
 * PNG with the generation parameters as text chunks (the JDK's PNG codec): every value goes into an uncompressed
 * UTF-8 iTXt chunk, with control characters (C0, DEL, C1: newlines, ANSI escapes) written as a backslash, "u" and
 * four hex digits, so that a prompt cannot put terminal escapes into a tool that prints the metadata. Keys are PNG keywords: 1..79 printable
 * Latin-1 characters, no leading, trailing or double spaces.
 */
public final class PngWithParameters {

    private static final String FORMAT = "javax_imageio_png_1.0";

    private PngWithParameters() {
    }

    /** Writes {@code image} with {@code parameters} to {@code target}, atomically. */
    public static void write(Path target, BufferedImage image, Map<String, String> parameters) throws IOException {
        write(target, image, parameters, AtomicFiles.CommitGate.ALWAYS);
    }

    /** As {@link #write(Path, BufferedImage, Map)}; {@code gate} may still stop the write before it replaces the target. */
    public static void write(Path target, BufferedImage image, Map<String, String> parameters,
                             AtomicFiles.CommitGate gate) throws IOException {
        parameters.forEach(PngWithParameters::checkKeyword);
        ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
        try {
            IIOMetadata metadata = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(image),
                    null);
            metadata.mergeTree(FORMAT, textChunks(parameters));
            AtomicFiles.write(target, temporary -> {
                try (ImageOutputStream out = ImageIO.createImageOutputStream(temporary.toFile())) {
                    writer.setOutput(out);
                    writer.write(new IIOImage(image, null, metadata));
                }
            }, gate);
        } catch (IIOInvalidTreeException e) {
            throw new IOException("cannot build PNG text chunks: " + e.getMessage(), e);
        } finally {
            writer.dispose();
        }
    }

    private static IIOMetadataNode textChunks(Map<String, String> parameters) {
        var root = new IIOMetadataNode(FORMAT);
        var itxt = new IIOMetadataNode("iTXt");
        for (var e : parameters.entrySet()) {
            var entry = new IIOMetadataNode("iTXtEntry");
            entry.setAttribute("keyword", e.getKey());
            entry.setAttribute("compressionFlag", "FALSE");
            entry.setAttribute("compressionMethod", "0");
            entry.setAttribute("languageTag", "");
            entry.setAttribute("translatedKeyword", "");
            entry.setAttribute("text", escapeControls(e.getValue()));
            itxt.appendChild(entry);
        }
        if (itxt.hasChildNodes()) {
            root.appendChild(itxt);
        }
        return root;
    }

    /** {@code value} with every ISO control character (U+0000..U+001F, U+007F..U+009F) as backslash, "u", 4 hex digits. */
    public static String escapeControls(String value) {
        StringBuilder sb = new StringBuilder(value.length());
        value.chars().forEach(c -> {
            if (Character.isISOControl(c)) {
                sb.append(String.format(java.util.Locale.ROOT, "\\u%04x", c));
            } else {
                sb.append((char) c);
            }
        });
        return sb.toString();
    }

    private static void checkKeyword(String key, String value) {
        if (key == null || key.isEmpty() || key.length() > 79 || key.startsWith(" ") || key.endsWith(" ")
                || key.contains("  ") || !key.chars().allMatch(c -> (c >= 32 && c <= 126) || (c >= 161 && c <= 255))) {
            throw new IllegalArgumentException("'" + key + "' is not a PNG keyword (1..79 printable Latin-1 "
                    + "characters, no leading, trailing or double spaces)");
        }
        if (value == null) {
            throw new IllegalArgumentException("parameter '" + key + "' has no value");
        }
    }

    /** The text chunks (tEXt, iTXt and zTXt) of the PNG at {@code file}, in file order. */
    public static Map<String, String> readParameters(Path file) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) {
                throw new IOException("cannot open " + file);
            }
            ImageReader reader = ImageIO.getImageReadersByFormatName("png").next();
            try {
                reader.setInput(in);
                Node root = reader.getImageMetadata(0).getAsTree(FORMAT);
                Map<String, String> out = new LinkedHashMap<>();
                for (Node chunk = root.getFirstChild(); chunk != null; chunk = chunk.getNextSibling()) {
                    for (Node entry = chunk.getFirstChild(); entry != null; entry = entry.getNextSibling()) {
                        var attributes = entry.getAttributes();
                        var keyword = attributes == null ? null : attributes.getNamedItem("keyword");
                        var value = switch (entry.getNodeName()) {
                            case "tEXtEntry", "zTXtEntry" -> attributes.getNamedItem("value");
                            case "iTXtEntry" -> attributes.getNamedItem("text");
                            default -> null;
                        };
                        if (keyword != null && value != null) {
                            out.put(keyword.getNodeValue(), value.getNodeValue());
                        }
                    }
                }
                return out;
            } catch (IOException e) {
                throw new IOException(file + " is not a readable PNG: " + e.getMessage(), e);
            } finally {
                reader.dispose();
            }
        }
    }
}
