package dev.sagestudio.models.output;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;

/**
 * Animated, endlessly looping GIF through the JDK's GIF writer (which reduces each frame to a 256-colour palette).
 * Frame delay is in hundredths of a second, so fps is rounded to the nearest representable delay.
 */
public final class AnimatedGif {

    private static final String FORMAT = "javax_imageio_gif_image_1.0";

    private AnimatedGif() {
    }

    public static void write(Path target, List<BufferedImage> frames, int fps) throws IOException {
        write(target, frames, fps, AtomicFiles.CommitGate.ALWAYS);
    }

    /** As {@link #write(Path, List, int)}; {@code gate} may still stop the write just before it replaces the target. */
    public static void write(Path target, List<BufferedImage> frames, int fps, AtomicFiles.CommitGate gate)
            throws IOException {
        if (frames.isEmpty() || fps < 1 || fps > 100) {
            throw new IllegalArgumentException("need at least one frame and fps in 1..100, got " + frames.size()
                    + " frames at " + fps);
        }
        int delay = Math.max(1, Math.round(100f / fps));
        AtomicFiles.write(target, temporary -> {
            ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
            try (ImageOutputStream out = ImageIO.createImageOutputStream(temporary.toFile())) {
                writer.setOutput(out);
                writer.prepareWriteSequence(null);
                for (BufferedImage frame : frames) {
                    writer.writeToSequence(new IIOImage(frame, null, frameMetadata(writer, frame, delay)), null);
                }
                writer.endWriteSequence();
            } finally {
                writer.dispose();
            }
        }, gate);
    }

    private static IIOMetadata frameMetadata(ImageWriter writer, BufferedImage frame, int delay) throws IOException {
        IIOMetadata metadata = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(frame), null);
        var root = (IIOMetadataNode) metadata.getAsTree(FORMAT);
        var control = child(root, "GraphicControlExtension");
        control.setAttribute("disposalMethod", "none");
        control.setAttribute("userInputFlag", "FALSE");
        control.setAttribute("transparentColorFlag", "FALSE");
        control.setAttribute("delayTime", Integer.toString(delay));
        control.setAttribute("transparentColorIndex", "0");
        var loop = new IIOMetadataNode("ApplicationExtension");
        loop.setAttribute("applicationID", "NETSCAPE");
        loop.setAttribute("authenticationCode", "2.0");
        loop.setUserObject(new byte[] {1, 0, 0}); // sub-block 1, loop count 0 = forever
        child(root, "ApplicationExtensions").appendChild(loop);
        metadata.setFromTree(FORMAT, root);
        return metadata;
    }

    private static IIOMetadataNode child(IIOMetadataNode parent, String name) {
        for (int i = 0; i < parent.getLength(); i++) {
            if (parent.item(i).getNodeName().equals(name)) {
                return (IIOMetadataNode) parent.item(i);
            }
        }
        var node = new IIOMetadataNode(name);
        parent.appendChild(node);
        return node;
    }
}
