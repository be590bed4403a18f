package dev.sagestudio.app.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The committed denoiser step times at the shapes real users run ({@code models/bench/results/real-shapes-*.json},
 * packaged into the app at build time): each file is a {@code sagestudio step-time --json} document — one graph, one
 * row per backend — or an array of them, each read here as one {@link Table}.
 */
public final class RealShapeResults {

    /** Where the build puts the committed files on the class path. */
    static final String FOLDER = "/dev/sagestudio/app/bench/real-shapes";

    /** The backend the speed-up column is measured against, as the targets are. */
    public static final String BASELINE = "flash-fp16";

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** A results file's name with a date and a card after it: {@code <what>-<yyyy-mm-dd>-<card>.json}. */
    private static final java.util.regex.Pattern DATED_NAME = java.util.regex.Pattern.compile(
            ".*-\\d{4}-\\d{2}-\\d{2}-([^/]+)\\.json");

    private RealShapeResults() {
    }

    /**
     * One step-time document.
     *
     * @param device the card it ran on ({@code device} of the document, else the card the file's name gives after its
     *               date; null where neither says)
     * @param model  the graph's file name without {@code .onnx}
     * @param tokens the longest attention sequence our backends ran (null where the file does not say)
     * @param sample the denoiser's sample input as the document describes it, e.g. {@code float16 [1, 16, 21, 60, 104]}
     * @param source the file the table was read from
     */
    public record Table(String device, String model, Integer tokens, String sample, String source, List<Row> rows) {
        public Table {
            rows = List.copyOf(rows);
        }

        /** The row of {@link #BASELINE} that ran, if any. */
        public java.util.Optional<Row> baseline() {
            return rows.stream().filter(r -> r.backend().equals(BASELINE) && r.error() == null).findFirst();
        }
    }

    /**
     * One backend's step: median time in ms, attention's share of it (null for ONNX Runtime alone), the peak device
     * memory in bytes (null where not measured), or the error that stopped it.
     */
    public record Row(String backend, Double stepMs, Double attentionShare, Long peakDeviceBytes, String error) {
    }

    /** The files this build ships, ordered by their names; none when the build has none. */
    public static List<Table> shipped() {
        return in(RealShapeResults.class.getResource(FOLDER));
    }

    /** The files in {@code folder} (a directory, or a folder inside a jar), ordered by name; none for null. */
    static List<Table> in(URL folder) {
        if (folder == null) {
            return List.of();
        }
        try {
            URI uri = folder.toURI();
            if (!"jar".equals(uri.getScheme())) {
                return readFolder(Path.of(uri));
            }
            // inside the app's jar: through the jar's file system, opened here unless something else has it open
            FileSystem jar;
            boolean openedHere = false;
            try {
                jar = FileSystems.getFileSystem(uri);
            } catch (FileSystemNotFoundException notOpen) {
                jar = FileSystems.newFileSystem(uri, Map.of());
                openedHere = true;
            }
            try {
                return readFolder(jar.getPath(uri.getSchemeSpecificPart().substring(
                        uri.getSchemeSpecificPart().indexOf("!/") + 1)));
            } finally {
                if (openedHere) {
                    jar.close();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the real-shape results shipped in this build", e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("the real-shape results' location is not a URI: " + folder, e);
        }
    }

    private static List<Table> readFolder(Path folder) throws IOException {
        List<Table> tables = new ArrayList<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".json"))
                    .sorted(Comparator.comparing(f -> f.getFileName().toString())).toList()) {
                try (InputStream in = Files.newInputStream(file)) {
                    tables.addAll(read(in, file.getFileName().toString()));
                }
            }
        }
        return tables;
    }

    /**
     * A step-time document, or an array of them (several graphs in one file), in order; {@code source} names the file
     * in messages and in the tables.
     */
    public static List<Table> read(InputStream json, String source) throws IOException {
        JsonNode root = MAPPER.readTree(json);
        List<Table> tables = new ArrayList<>();
        for (JsonNode doc : root != null && root.isArray() ? root : java.util.Collections.singletonList(root)) {
            tables.add(table(doc, source));
        }
        return tables;
    }

    private static Table table(JsonNode doc, String source) throws IOException {
        if (doc == null || !doc.path("rows").isArray() || !doc.path("model").isTextual()) {
            throw new IOException(source + " is not a step-time --json document (it needs \"model\" and \"rows\")");
        }
        List<Row> rows = new ArrayList<>();
        Integer tokens = null;
        for (JsonNode r : doc.get("rows")) {
            rows.add(new Row(r.path("backend").asText("?"), number(r, "stepMs"), number(r, "attentionShare"),
                    r.hasNonNull("peakDeviceBytes") ? r.get("peakDeviceBytes").asLong() : null,
                    r.hasNonNull("error") ? r.get("error").asText() : null));
            if (r.hasNonNull("attentionTokens")) {
                tokens = Math.max(tokens == null ? 0 : tokens, r.get("attentionTokens").asInt());
            }
        }
        String model = Path.of(doc.get("model").asText()).getFileName().toString().replaceFirst("\\.onnx$", "");
        String sample = doc.path("inputs").path("sample").asText(null);
        return new Table(doc.hasNonNull("device") ? doc.get("device").asText() : cardInName(source), model, tokens,
                sample, source, rows);
    }

    /**
     * The card a results file names after its date, as the results folder names its files
     * ({@code import-check-2026-12-06-H100.json}): for documents written before step-time recorded the device.
     */
    static String cardInName(String fileName) {
        java.util.regex.Matcher m = DATED_NAME.matcher(fileName);
        return m.matches() ? m.group(1) : null;
    }

    private static Double number(JsonNode row, String field) {
        return row.hasNonNull(field) ? row.get(field).asDouble() : null;
    }
}
