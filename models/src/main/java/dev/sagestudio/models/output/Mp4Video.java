package dev.sagestudio.models.output;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.jcodec.api.awt.AWTSequenceEncoder;
import org.jcodec.common.io.NIOUtils;
import org.jcodec.common.io.SeekableByteChannel;
import org.jcodec.common.model.Rational;

/**
 * MP4 (ISO BMFF) with one H.264 video track, encoded by jcodec (pure Java; its encoder writes H.264 in 4:2:0,
 * so width and height must be even).
 */
public final class Mp4Video {

    private Mp4Video() {
    }

    public static void write(Path target, List<BufferedImage> frames, int fps) throws IOException {
        write(target, frames, fps, AtomicFiles.CommitGate.ALWAYS);
    }

    /** As {@link #write(Path, List, int)}; {@code gate} may still stop the write just before it replaces the target. */
    public static void write(Path target, List<BufferedImage> frames, int fps, AtomicFiles.CommitGate gate)
            throws IOException {
        if (frames.isEmpty() || fps < 1 || fps > 120) {
            throw new IllegalArgumentException("need at least one frame and fps in 1..120, got " + frames.size()
                    + " frames at " + fps);
        }
        int width = frames.get(0).getWidth();
        int height = frames.get(0).getHeight();
        if (width % 2 != 0 || height % 2 != 0) {
            throw new IllegalArgumentException("H.264 4:2:0 needs even width and height, got " + width + "x" + height);
        }
        for (BufferedImage frame : frames) {
            if (frame.getWidth() != width || frame.getHeight() != height) {
                throw new IllegalArgumentException("all frames must be " + width + "x" + height + ", one is "
                        + frame.getWidth() + "x" + frame.getHeight());
            }
        }
        AtomicFiles.write(target, temporary -> {
            try (SeekableByteChannel channel = NIOUtils.writableChannel(temporary.toFile())) {
                var encoder = new AWTSequenceEncoder(channel, Rational.R(fps, 1));
                for (BufferedImage frame : frames) {
                    encoder.encodeImage(toRgb(frame));
                }
                encoder.finish();
            }
        }, gate);
    }

    private static BufferedImage toRgb(BufferedImage frame) {
        if (frame.getType() == BufferedImage.TYPE_3BYTE_BGR || frame.getType() == BufferedImage.TYPE_INT_RGB) {
            return frame;
        }
        var rgb = new BufferedImage(frame.getWidth(), frame.getHeight(), BufferedImage.TYPE_INT_RGB);
        rgb.getGraphics().drawImage(frame, 0, 0, null);
        return rgb;
    }
}
