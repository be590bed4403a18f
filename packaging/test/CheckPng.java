import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;

/**
 * Checks a PNG the installed app wrote: signature, every chunk's CRC, IHDR first and IEND last, an image that decodes
 * and is not one flat colour, and text chunks that contain each given word (the generation parameters).
 * {@code java CheckPng.java FILE [WORD...]}; exit 0 and a one-line summary when it passes, 1 with the reason if not.
 */
public final class CheckPng {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    public static void main(String[] args) throws IOException {
        List<String> words = Arrays.asList(args).subList(1, args.length);
        try {
            System.out.println(check(Files.readAllBytes(Path.of(args[0])), words));
        } catch (IllegalStateException | IOException e) {
            System.err.println(args[0] + ": " + e.getMessage());
            System.exit(1);
        }
    }

    static String check(byte[] bytes, List<String> words) throws IOException {
        require(bytes.length > 8 && Arrays.equals(Arrays.copyOf(bytes, 8), SIGNATURE), "not a PNG signature");
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, 8, bytes.length - 8));
        List<String> chunks = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        while (in.available() > 0) {
            int length = in.readInt();
            byte[] typeAndData = new byte[4 + length];
            in.readFully(typeAndData);
            int crc = in.readInt();
            CRC32 expected = new CRC32();
            expected.update(typeAndData);
            String type = new String(typeAndData, 0, 4, StandardCharsets.ISO_8859_1);
            require((int) expected.getValue() == crc, "bad CRC in chunk " + type);
            chunks.add(type);
            if (type.equals("tEXt") || type.equals("iTXt")) {
                text.append(new String(typeAndData, 4, length, StandardCharsets.UTF_8).replace('\0', '=')).append('\n');
            }
        }
        require(!chunks.isEmpty() && chunks.get(0).equals("IHDR"), "IHDR is not the first chunk: " + chunks);
        require(chunks.get(chunks.size() - 1).equals("IEND"), "IEND is not the last chunk: " + chunks);
        for (String word : words) {
            require(text.toString().contains(word), "the text chunks do not contain '" + word + "': " + text);
        }
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
        require(image != null, "ImageIO cannot decode it");
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                colours.add(image.getRGB(x, y));
            }
        }
        require(colours.size() > 1, "the image is one flat colour");
        return "valid PNG " + image.getWidth() + "x" + image.getHeight() + ", " + colours.size() + " colours, chunks "
                + chunks + (words.isEmpty() ? "" : ", parameters contain " + words);
    }

    private static void require(boolean condition, String problem) {
        if (!condition) {
            throw new IllegalStateException(problem);
        }
    }
}
