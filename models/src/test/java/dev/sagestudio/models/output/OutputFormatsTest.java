package dev.sagestudio.models.output;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadataNode;
import org.jcodec.api.awt.AWTFrameGrab;
import org.jcodec.common.io.NIOUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PNG with parameters, animated GIF and H.264 MP4: each is read back and checked. */
class OutputFormatsTest {

    @TempDir
    Path dir;

    /** A smooth test picture that changes with {@code phase} (a moving gradient with a square). */
    static BufferedImage picture(int w, int h, int phase) {
        var image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int r = (x * 255 / (w - 1) + phase * 8) & 255;
                int g = y * 255 / (h - 1);
                boolean square = x >= 16 + phase && x < 32 + phase && y >= 20 && y < 36;
                int b = square ? 230 : 40;
                image.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return image;
    }

    @Test
    void tensorsMapToBytesThroughTheValueRange() {
        // [-1, 1]: -1 → 0, 1 → 255, 0 → round(127.5) = 128; outside values clamp; NaN → 0.
        assertEquals(0, Pixels.toByte(-1f, -1, 1));
        assertEquals(255, Pixels.toByte(1f, -1, 1));
        assertEquals(128, Pixels.toByte(0f, -1, 1));
        assertEquals(255, Pixels.toByte(7f, -1, 1));
        assertEquals(0, Pixels.toByte(Float.NaN, -1, 1));
        // [3, 1, 2] tensor, channel-major: pixel 0 = (R -1, G 0, B 1), pixel 1 = (1, -1, 0).
        BufferedImage img = Pixels.image(new float[] {-1, 1, 0, -1, 1, 0}, 1, 2, -1, 1);
        assertEquals(0x0080FF, img.getRGB(0, 0) & 0xFFFFFF);
        assertEquals(0xFF0080, img.getRGB(1, 0) & 0xFFFFFF);
        // [3, 2, 1, 1] = R(f0, f1), G(f0, f1), B(f0, f1): frame 0 = (0, 1, 0), frame 1 = (1, 0, 1).
        var frames = Pixels.frames(new float[] {0, 1, 1, 0, 0, 1}, 2, 1, 1, 0, 1);
        assertEquals(0x00FF00, frames.get(0).getRGB(0, 0) & 0xFFFFFF);
        assertEquals(0xFF00FF, frames.get(1).getRGB(0, 0) & 0xFFFFFF);
        var e = assertThrows(IllegalArgumentException.class, () -> Pixels.image(new float[5], 1, 2, -1, 1));
        assertEquals("tensor has 5 values, expected 3 x 1 x 1 x 2 = 6", e.getMessage());
    }

    @Test
    void pngKeepsPixelsExactlyAndItsParametersReadBack() throws Exception {
        Path png = dir.resolve("emoji.png");
        BufferedImage image = picture(64, 64, 0);
        Map<String, String> params = new LinkedHashMap<>();
        params.put("prompt", "a pizza spinning, twemoji style");
        params.put("seed", "42");
        params.put("negative prompt", "Grüße ✓ 🍕"); // not Latin-1: UTF-8 in the iTXt chunk
        params.put("parameters", "{\"steps\":24,\"guidance\":4.0,\"backend\":\"sage-int8-fp16\"}");

        PngWithParameters.write(png, image, params);

        assertEquals(params, PngWithParameters.readParameters(png));
        BufferedImage back = ImageIO.read(png.toFile());
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                assertEquals(image.getRGB(x, y), back.getRGB(x, y));
            }
        }
        String raw = new String(Files.readAllBytes(png), StandardCharsets.ISO_8859_1);
        assertTrue(raw.contains("iTXtprompt\0"), "every value is in an iTXt chunk");
        assertTrue(raw.contains("iTXtnegative prompt\0"), "an iTXt chunk holds the non-Latin-1 value");
        assertTrue(!raw.contains("tEXt"), "no Latin-1 tEXt chunks");
        String utf8 = new String(Files.readAllBytes(png), StandardCharsets.UTF_8);
        assertTrue(utf8.contains("Grüße ✓ 🍕"), "stored as UTF-8");
    }

    @Test
    void controlCharactersAndTerminalEscapesInAPromptAreStoredEscaped() throws Exception {
        Path png = dir.resolve("escaped.png");
        String prompt = "red\u001b[2J heart\nline two\u0007\u009b";
        PngWithParameters.write(png, picture(8, 8, 0), Map.of("prompt", prompt));
        String stored = PngWithParameters.readParameters(png).get("prompt");
        assertEquals("red\\u001b[2J heart\\u000aline two\\u0007\\u009b", stored);
        assertTrue(stored.chars().noneMatch(Character::isISOControl), stored);
        byte[] raw = Files.readAllBytes(png);
        for (byte b : new byte[] {0x1b, 0x07}) {
            for (int i = 0; i < raw.length - 4; i++) {
                // the escape byte may occur in compressed pixel data, but never right after the keyword's text
                if (raw[i] == 'r' && raw[i + 1] == 'e' && raw[i + 2] == 'd') {
                    assertTrue(raw[i + 3] != b, "raw control byte after 'red'");
                }
            }
        }
    }

    @Test
    void pngRefusesKeysThatAreNotPngKeywords() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> PngWithParameters.write(dir.resolve("x.png"), picture(8, 8, 0), Map.of(" seed", "1")));
        assertTrue(e.getMessage().contains("is not a PNG keyword"), e.getMessage());
        assertTrue(!Files.exists(dir.resolve("x.png")));
    }

    @Test
    void gifHoldsEveryFrameWithTheDelayAndLoopsForever() throws Exception {
        Path gif = dir.resolve("clip.gif");
        List<BufferedImage> frames = new ArrayList<>();
        for (int f = 0; f < 16; f++) {
            frames.add(picture(64, 64, f));
        }

        AnimatedGif.write(gif, frames, 8);

        ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
        try (var in = ImageIO.createImageInputStream(gif.toFile())) {
            reader.setInput(in);
            assertEquals(16, reader.getNumImages(true));
            var meta = (IIOMetadataNode) reader.getImageMetadata(3).getAsTree("javax_imageio_gif_image_1.0");
            var control = (IIOMetadataNode) meta.getElementsByTagName("GraphicControlExtension").item(0);
            assertEquals("13", control.getAttribute("delayTime")); // 100/8 = 12.5 → 13 hundredths
            var app = (IIOMetadataNode) meta.getElementsByTagName("ApplicationExtension").item(0);
            assertEquals("NETSCAPE", app.getAttribute("applicationID"));
            assertArrayEquals(new byte[] {1, 0, 0}, (byte[]) app.getUserObject());
            // 256-colour palette: colours stay close to the original.
            BufferedImage back = reader.read(5);
            assertTrue(meanAbsDiff(frames.get(5), back) < 6, "mean difference " + meanAbsDiff(frames.get(5), back));
        } finally {
            reader.dispose();
        }
    }

    @Test
    void mp4HoldsAnH264TrackWithEveryFrame() throws Exception {
        Path mp4 = dir.resolve("clip.mp4");
        List<BufferedImage> frames = new ArrayList<>();
        for (int f = 0; f < 16; f++) {
            frames.add(picture(64, 64, f));
        }

        Mp4Video.write(mp4, frames, 8);

        byte[] bytes = Files.readAllBytes(mp4);
        assertEquals("ftyp", new String(bytes, 4, 4, StandardCharsets.US_ASCII), "an ISO BMFF file starts with ftyp");
        List<String> path = boxPath(ByteBuffer.wrap(bytes), "moov", "trak", "mdia", "minf", "stbl", "stsd");
        assertTrue(path.contains("avc1") && path.contains("avcC"),
                "the sample description is H.264 (avc1 with avcC), found " + path);
        try (var channel = NIOUtils.readableChannel(mp4.toFile())) {
            var grab = AWTFrameGrab.createAWTFrameGrab(channel);
            int decoded = 0;
            double worst = 0;
            for (BufferedImage frame; (frame = grab.getFrame()) != null; decoded++) {
                double own = meanAbsDiff(frames.get(decoded), frame);
                worst = Math.max(worst, own);
                BufferedImage other = frames.get((decoded + 8) % 16);
                assertTrue(own < meanAbsDiff(other, frame), "frame " + decoded + " decodes closest to itself");
            }
            assertEquals(16, decoded);
            // jcodec's Baseline encoder at its fixed quantizer loses about 9..13 levels (of 255) on this sharp-edged
            // picture; ffmpeg decoding the same file measured the same (see the commit message).
            assertTrue(worst < 16, "lossy but close: worst mean difference " + worst);
        }
    }

    @Test
    void mp4RefusesOddSizes() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> Mp4Video.write(dir.resolve("x.mp4"), List.of(picture(63, 64, 0)), 8));
        assertEquals("H.264 4:2:0 needs even width and height, got 63x64", e.getMessage());
    }

    @Test
    void aVideoThatFailsHalfwayKeepsThePreviousFileAndLeavesNoPartialFile() throws Exception {
        Path mp4 = Files.writeString(dir.resolve("clip.mp4"), "previous video");
        Path gif = Files.writeString(dir.resolve("clip.gif"), "previous gif");
        List<BufferedImage> frames = new ArrayList<>();
        for (int f = 0; f < 8; f++) {
            frames.add(picture(64, 64, f));
        }
        // Simulated crash: the 5th frame cannot be read (as if the generator died mid-video).
        frames.set(4, new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB) {
            @Override
            public int getRGB(int x, int y) {
                throw new IllegalStateException("frame source failed (simulated)");
            }

            @Override
            public int[] getRGB(int x, int y, int w, int h, int[] a, int o, int s) {
                throw new IllegalStateException("frame source failed (simulated)");
            }

            @Override
            public java.awt.image.WritableRaster getRaster() {
                throw new IllegalStateException("frame source failed (simulated)");
            }

            @Override
            public java.awt.image.Raster getData() {
                throw new IllegalStateException("frame source failed (simulated)");
            }
        });

        assertThrows(RuntimeException.class, () -> Mp4Video.write(mp4, frames, 8));
        assertThrows(RuntimeException.class, () -> AnimatedGif.write(gif, frames, 8));

        assertEquals("previous video", Files.readString(mp4));
        assertEquals("previous gif", Files.readString(gif));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(gif, mp4), s.sorted().toList(), "no temporary files left");
        }
    }

    /** Box types found walking into the path of container boxes, then the children of the last one. */
    private static List<String> boxPath(ByteBuffer buf, String... containers) {
        List<String> seen = new ArrayList<>();
        int start = 0;
        int end = buf.limit();
        for (int depth = 0; depth <= containers.length; depth++) {
            int next = -1;
            int nextEnd = -1;
            for (int p = start; p + 8 <= end; ) {
                long size = Integer.toUnsignedLong(buf.getInt(p));
                if (size == 1) {
                    size = buf.getLong(p + 8); // 64-bit "largesize" (jcodec writes mdat this way)
                }
                String type = new String(new byte[] {buf.get(p + 4), buf.get(p + 5), buf.get(p + 6), buf.get(p + 7)},
                        StandardCharsets.US_ASCII);
                seen.add(type);
                if (depth < containers.length && type.equals(containers[depth])) {
                    // stsd has a 4-byte version/flags and a 4-byte entry count before its children.
                    next = p + 8 + (type.equals("stsd") ? 8 : 0);
                    nextEnd = (int) (p + size);
                }
                if (depth == containers.length && type.equals("avc1")) {
                    // avc1 is a visual sample entry: 78 bytes of fields before its child boxes (avcC).
                    int q = p + 8 + 78;
                    seen.add(new String(new byte[] {buf.get(q + 4), buf.get(q + 5), buf.get(q + 6), buf.get(q + 7)},
                            StandardCharsets.US_ASCII));
                }
                if (size < 8) {
                    break;
                }
                p += (int) size;
            }
            if (next < 0) {
                break;
            }
            start = next;
            end = nextEnd;
        }
        return seen;
    }

    private static double meanAbsDiff(BufferedImage a, BufferedImage b) {
        double sum = 0;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                int p = a.getRGB(x, y);
                int q = b.getRGB(x, y);
                for (int shift = 0; shift < 24; shift += 8) {
                    sum += Math.abs(((p >> shift) & 255) - ((q >> shift) & 255));
                }
            }
        }
        return sum / (3.0 * a.getWidth() * a.getHeight());
    }
}
