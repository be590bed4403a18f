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
 * packaged into the app at build time): {@code sagestudio step-time --json} documents — one graph, one row per
 * backend — alone, in an array, or gathered in a collection ({@link #read}), each read here as one {@link Table}.
 */
public final class RealShapeResults {

    /** Where the build puts the committed files on the class path. */
    static final String FOLDER = "/dev/sagestudio/app/bench/real-shapes";

    /** The backend the speed-up column is measured against, as the targets are. */
    public static final String BASELINE = "flash-fp16";

    /** The backend name of PyTorch's own step time in a collection. */
    public static final String PYTORCH = "PyTorch eager";

    /** The fields that name the card a document or a collection ran on, in the order they are looked for. */
    private static final List<String> CARD_FIELDS = List.of("device", "card");

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** A results file's name with a date and a card after it: {@code <what>-<yyyy-mm-dd>-<card>.json}. */
    private static final java.util.regex.Pattern DATED_NAME = java.util.regex.Pattern.compile(
            ".*-\\d{4}-\\d{2}-\\d{2}-([^/]+)\\.json");

    private RealShapeResults() {
    }

    /**
     * One graph's step times, from one step-time document.
     *
     * @param device the card it ran on: the document's {@code device} (or {@code card}), else the collection's, else
     *               the card the file's name gives after its date; null where nothing says
     * @param model  the document's {@code label}, else the graph's file name without {@code .onnx}; "(shared arena)"
     *               or "(arenas shrunk)" after it where step-time ran so
     * @param tokens the document's {@code tokens}, else the longest attention sequence our backends ran; null where
     *               the file does not say
     * @param sample the denoiser's sample input as the document describes it, e.g. {@code float16 [1, 16, 21, 60, 104]}
     * @param about  what the collection says of all its runs (its other text fields, as "name: value"), e.g.
     *               {@code weights: random, fp16}
     * @param source the file the table was read from
     */
    public record Table(String device, String model, Integer tokens, String sample, List<String> about, String source,
                        List<Row> rows) {
        public Table {
            about = List.copyOf(about);
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
     * The tables of one file, in order: a step-time document; an array of them; or a collection, an object whose
     * {@code runs} are step-time documents, with text fields that hold for all of them ({@code date}, {@code weights},
     * {@code card}, …) and, optionally, {@code pytorchEager}: PyTorch's own step time of the same configurations
     * ({@code model}, {@code frames}, {@code tokens}, {@code device}, {@code step_ms}, {@code peak_gib}), each read as
     * a table of one row, backend {@value #PYTORCH}. {@code source} names the file in messages and in the tables.
     */
    public static List<Table> read(InputStream json, String source) throws IOException {
        JsonNode root = MAPPER.readTree(json);
        if (root == null) {
            throw new IOException(source + " is empty");
        }
        JsonNode collection = root.isObject() && root.path("runs").isArray() ? root : MAPPER.createObjectNode();
        List<JsonNode> documents = new ArrayList<>();
        (root.isArray() ? root : collection.has("runs") ? collection.get("runs") : MAPPER.createArrayNode().add(root))
                .forEach(documents::add);
        List<String> about = new ArrayList<>();
        collection.fields().forEachRemaining(f -> {
            if (f.getValue().isTextual() && !CARD_FIELDS.contains(f.getKey())) {
                about.add(f.getKey() + ": " + f.getValue().asText());
            }
        });
        String collectionCard = card(collection);
        List<Table> tables = new ArrayList<>();
        for (JsonNode doc : documents) {
            tables.add(table(doc, collectionCard, about, source));
        }
        for (JsonNode eager : collection.path("pytorchEager")) {
            String model = eager.path("model").asText("?") + (eager.has("frames") ? ", " + eager.get("frames").asInt()
                    + " frames" : "");
            Long peak = eager.hasNonNull("peak_gib") ? (long) (eager.get("peak_gib").asDouble() * (1L << 30)) : null;
            tables.add(new Table(eager.hasNonNull("device") ? eager.get("device").asText() : collectionCard, model,
                    eager.hasNonNull("tokens") ? eager.get("tokens").asInt() : null, null, about, source,
                    List.of(new Row(PYTORCH, number(eager, "step_ms"), null, peak, null))));
        }
        return tables;
    }

    private static String card(JsonNode node) {
        return CARD_FIELDS.stream().filter(node::hasNonNull).map(f -> node.get(f).asText()).findFirst().orElse(null);
    }

    private static Table table(JsonNode doc, String collectionCard, List<String> about, String source)
            throws IOException {
        if (!doc.path("rows").isArray() || !doc.path("model").isTextual()) {
            throw new IOException(source + " is not a step-time --json document (it needs \"model\" and \"rows\")");
        }
        List<Row> rows = new ArrayList<>();
        Integer tokens = doc.hasNonNull("tokens") ? doc.get("tokens").asInt() : null;
        for (JsonNode r : doc.get("rows")) {
            rows.add(new Row(r.path("backend").asText("?"), number(r, "stepMs"), number(r, "attentionShare"),
                    r.hasNonNull("peakDeviceBytes") ? r.get("peakDeviceBytes").asLong() : null,
                    r.hasNonNull("error") ? r.get("error").asText() : null));
            if (!doc.hasNonNull("tokens") && r.hasNonNull("attentionTokens")) {
                tokens = Math.max(tokens == null ? 0 : tokens, r.get("attentionTokens").asInt());
            }
        }
        String model = doc.hasNonNull("label") ? doc.get("label").asText()
                : Path.of(doc.get("model").asText()).getFileName().toString().replaceFirst("\\.onnx$", "");
        model += doc.path("sharedArena").asBoolean() ? " (shared arena)" : "";
        model += doc.path("shrinkArenas").asBoolean() ? " (arenas shrunk)" : "";
        String card = card(doc);
        return new Table(card != null ? card : collectionCard != null ? collectionCard : cardInName(source), model,
                tokens, doc.path("inputs").path("sample").asText(null), about, source, rows);
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
