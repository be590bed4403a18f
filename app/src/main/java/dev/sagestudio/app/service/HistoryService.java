package dev.sagestudio.app.service;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sagestudio.models.output.AnimatedGif;
import dev.sagestudio.models.output.AtomicFiles;
import dev.sagestudio.models.output.Mp4Video;
import dev.sagestudio.models.output.PngWithParameters;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * The output folder as a history: every result saved there (images as PNG with their parameters in text chunks,
 * clips as looping GIF with the parameters in a {@code .json} beside it), listed newest first in
 * {@value #INDEX}, which is written atomically. An index that cannot be read is rebuilt from the files, and the
 * caller is told. Not thread-safe: the app calls it from one thread at a time.
 */
public final class HistoryService {
    public static final String INDEX = "index.json";
    private static final DateTimeFormatter FILE_STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path folder;
    private final List<HistoryEntry> entries = new ArrayList<>();

    /** What {@link #load()} found, and a message when the index had to be rebuilt. */
    public record Loaded(List<HistoryEntry> entries, Optional<String> message) {
    }

    private record IndexFile(int version, List<HistoryEntry> entries) {
    }

    public HistoryService(Path folder) {
        this.folder = folder;
    }

    public Path folder() {
        return folder;
    }

    public Path fileOf(HistoryEntry entry) {
        return folder.resolve(entry.file());
    }

    /** Reads the index (rebuilding it from the files when it is unreadable); entries whose file is gone are dropped. */
    public Loaded load() throws IOException {
        Files.createDirectories(folder);
        entries.clear();
        Path index = folder.resolve(INDEX);
        Optional<String> message = Optional.empty();
        if (Files.exists(index)) {
            try {
                IndexFile read = JSON.readValue(index.toFile(), IndexFile.class);
                if (read.entries() == null) {
                    throw new IOException("it has no entries list");
                }
                for (HistoryEntry e : read.entries()) {
                    if (Files.isRegularFile(folder.resolve(e.file()))) {
                        entries.add(e);
                    }
                }
            } catch (IOException | RuntimeException e) {
                List<HistoryEntry> rebuilt = rebuildFromFiles();
                entries.addAll(rebuilt);
                message = Optional.of("The history index " + index + " could not be read (" + firstLine(e)
                        + "); it was rebuilt from the " + rebuilt.size() + " result file(s) in the folder.");
                writeIndex();
            }
        } else {
            entries.addAll(rebuildFromFiles());
            if (!entries.isEmpty()) {
                writeIndex();
            }
        }
        return new Loaded(List.copyOf(entries), message);
    }

    public List<HistoryEntry> entries() {
        return List.copyOf(entries);
    }

    /** Saves {@code result} into the folder (PNG, or GIF with a parameters file) and puts it first in the index. */
    public HistoryEntry save(GeneratedResult result, Instant when) throws IOException {
        Files.createDirectories(folder);
        String base = "sagestudio-" + FILE_STAMP.format(when) + "-" + result.spec().seed();
        Map<String, String> parameters = new LinkedHashMap<>(result.parameters());
        String file;
        if (result.video()) {
            parameters.put("fps", Integer.toString(result.frames().fps()));
            file = base + ".gif";
            AnimatedGif.write(folder.resolve(file), result.frames().images(), result.frames().fps());
            Path sidecar = folder.resolve(base + ".json");
            AtomicFiles.write(sidecar, tmp -> JSON.writeValue(tmp.toFile(), parameters));
        } else {
            file = base + ".png";
            PngWithParameters.write(folder.resolve(file), result.frames().images().get(0), parameters);
        }
        HistoryEntry entry = new HistoryEntry(file, result.video(), when.toString(), parameters);
        entries.add(0, entry);
        writeIndex();
        return entry;
    }

    /** Deletes the entry's files and removes it from the index. */
    public void delete(HistoryEntry entry) throws IOException {
        Files.deleteIfExists(fileOf(entry));
        Files.deleteIfExists(sidecarOf(entry.file()));
        entries.removeIf(e -> e.file().equals(entry.file()));
        writeIndex();
    }

    /** The entry's pixels: its image, or every frame of its clip. */
    public Frames frames(HistoryEntry entry) throws IOException {
        int fps = Integer.parseInt(entry.parameters().getOrDefault("fps", "8"));
        return Frames.of(readImages(fileOf(entry)), fps);
    }

    /**
     * Writes the entry in the format {@code target}'s name asks for: an image as .png, .jpg or .bmp; a clip as .gif,
     * .mp4, or its first frame as .png.
     */
    public void export(HistoryEntry entry, Path target) throws IOException {
        String name = target.getFileName().toString().toLowerCase(Locale.ROOT);
        String ext = name.substring(name.lastIndexOf('.') + 1);
        Frames frames = frames(entry);
        List<BufferedImage> images = frames.images();
        switch (ext) {
            case "png" -> PngWithParameters.write(target, images.get(0), entry.parameters());
            case "jpg", "jpeg", "bmp" -> AtomicFiles.write(target, tmp -> {
                if (!ImageIO.write(images.get(0), ext.equals("bmp") ? "bmp" : "jpg", tmp.toFile())) {
                    throw new IOException("no " + ext + " writer in this Java runtime");
                }
            });
            case "gif" -> AnimatedGif.write(target, images, Math.max(1, frames.fps()));
            case "mp4" -> Mp4Video.write(target, images, Math.max(1, frames.fps()));
            default -> throw new IllegalArgumentException("cannot export as ." + ext
                    + "; choose .png, .jpg or .bmp for an image, .gif, .mp4 or .png (first frame) for a clip");
        }
    }

    /** The parameters embedded in a PNG (e.g. one dropped onto the window); empty when it carries none. */
    public static Map<String, String> parametersOf(Path png) throws IOException {
        return PngWithParameters.readParameters(png);
    }

    private Path sidecarOf(String file) {
        return folder.resolve(file.substring(0, file.lastIndexOf('.')) + ".json");
    }

    private List<HistoryEntry> rebuildFromFiles() throws IOException {
        List<Path> files;
        try (var list = Files.list(folder)) {
            files = list.filter(Files::isRegularFile).filter(f -> {
                String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
                return n.endsWith(".png") || n.endsWith(".gif");
            }).sorted(Comparator.comparing(HistoryService::modified).reversed()).toList();
        }
        List<HistoryEntry> found = new ArrayList<>();
        for (Path f : files) {
            String name = f.getFileName().toString();
            boolean video = name.toLowerCase(Locale.ROOT).endsWith(".gif");
            Map<String, String> parameters = Map.of();
            try {
                if (video) {
                    Path sidecar = sidecarOf(name);
                    if (Files.isRegularFile(sidecar)) {
                        parameters = JSON.readValue(sidecar.toFile(), new TypeReference<Map<String, String>>() { });
                    }
                } else {
                    parameters = PngWithParameters.readParameters(f);
                }
            } catch (IOException | RuntimeException unreadable) {
                continue; // not one of ours, or damaged: the rebuilt history leaves it out
            }
            if (parameters.containsKey("prompt")) {
                found.add(new HistoryEntry(name, video, Instant.ofEpochMilli(modified(f)).toString(), parameters));
            }
        }
        return found;
    }

    private static long modified(Path f) {
        try {
            return Files.getLastModifiedTime(f).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    private void writeIndex() throws IOException {
        IndexFile index = new IndexFile(1, List.copyOf(entries));
        AtomicFiles.write(folder.resolve(INDEX), tmp -> JSON.writeValue(tmp.toFile(), index));
    }

    private static List<BufferedImage> readImages(Path file) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) {
                throw new IOException("cannot open " + file);
            }
            var readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new IOException(file + " is not an image this app can read");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in);
                int count = reader.getNumImages(true);
                List<BufferedImage> images = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    images.add(reader.read(i));
                }
                return images;
            } finally {
                reader.dispose();
            }
        }
    }

    private static String firstLine(Throwable e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return nl >= 0 ? m.substring(0, nl) : m;
    }
}
