package dev.sagestudio.models.bundle;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.module.SimpleDeserializers;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import dev.sagestudio.models.scheduler.JsonName;
import dev.sagestudio.models.scheduler.SchedulerConfig;
import dev.sagestudio.models.scheduler.SchedulerName;
import dev.sagestudio.models.scheduler.TimestepSpacing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A validated model bundle (docs/model-bundle.md): its parsed model.json and the real paths of its
 * files, each guaranteed to exist inside the bundle folder.
 */
public final class ModelBundle {

    static final long MAX_MODEL_JSON_BYTES = 1L << 20;

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .addModule(jsonNames())
            .build();

    private static SimpleModule jsonNames() {
        var module = new SimpleModule("json-names");
        module.setDeserializers(new JsonNameDeserializers());
        return module;
    }

    private final Path root;
    private final ModelSpec spec;
    private final Map<String, Path> files;

    private ModelBundle(Path root, ModelSpec spec, Map<String, Path> files) {
        this.root = root;
        this.spec = spec;
        this.files = Map.copyOf(files);
    }

    /** Reads and validates the bundle in {@code folder}; every problem found is listed in the exception. */
    public static ModelBundle load(Path folder) throws BundleException {
        String label = folder.toString();
        if (!Files.isDirectory(folder)) {
            throw new BundleException(label, "not a folder (a bundle is a folder holding model.json)");
        }
        Path root;
        Path json;
        try {
            root = folder.toRealPath();
            json = BundlePaths.resolveInside(root, "model.json", MAX_MODEL_JSON_BYTES);
        } catch (IOException | BundlePaths.PathException e) {
            throw new BundleException(label, "model.json: " + e.getMessage());
        }
        ModelSpec spec = parse(label, json);
        var validator = new BundleValidator(root, spec);
        validator.validate();
        if (!validator.problems().isEmpty()) {
            throw new BundleException(label, validator.problems());
        }
        return new ModelBundle(root, spec, validator.files());
    }

    private static ModelSpec parse(String label, Path json) throws BundleException {
        JsonNode tree;
        try {
            tree = MAPPER.readTree(Files.readAllBytes(json));
        } catch (JsonParseException e) {
            throw new BundleException(label, "model.json is not valid JSON: " + e.getOriginalMessage() + " (line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
        } catch (IOException e) {
            throw new BundleException(label, "model.json cannot be read: " + e.getMessage());
        }
        if (tree == null || !tree.isObject()) {
            throw new BundleException(label, "model.json must hold a JSON object");
        }
        JsonNode version = tree.get("schemaVersion");
        String readable = "this SageStudio reads schemaVersion " + ModelSpec.SCHEMA_VERSIONS.stream()
                .map(String::valueOf).collect(java.util.stream.Collectors.joining(" and "));
        if (version == null) {
            throw new BundleException(label, "schemaVersion: missing (" + readable + ")");
        }
        if (!version.isInt() || !ModelSpec.SCHEMA_VERSIONS.contains(version.intValue())) {
            throw new BundleException(label, "schemaVersion " + version + " is not supported; " + readable);
        }
        try {
            return MAPPER.treeToValue(tree, ModelSpec.class);
        } catch (UnrecognizedPropertyException e) {
            String known = e.getKnownPropertyIds().stream().map(Object::toString).sorted()
                    .collect(Collectors.joining(", "));
            throw new BundleException(label, where(e, true) + "unknown field '" + e.getPropertyName()
                    + "' (known: " + known + "; free-form additions go under \"extensions\")");
        } catch (InvalidFormatException e) {
            // our enum reader's "unknown value 'x'; expected one of: ...", or a value Jackson cannot convert
            boolean ours = e.getTargetType() != null && JsonName.class.isAssignableFrom(e.getTargetType());
            throw new BundleException(label, where(e, false) + (ours ? e.getOriginalMessage()
                    : JsonTypeMessage.of(e, tree)));
        } catch (MismatchedInputException e) {
            throw new BundleException(label, where(e, false) + JsonTypeMessage.of(e, tree));
        } catch (JsonMappingException e) {
            Throwable cause = e.getCause() instanceof IllegalArgumentException ? e.getCause() : null;
            throw new BundleException(label, where(e, false)
                    + (cause != null ? cause.getMessage() : JsonTypeMessage.of(e, tree)));
        } catch (JsonProcessingException e) {
            throw new BundleException(label, "model.json: " + e.getOriginalMessage());
        }
    }

    /** "components.denoiser.inputs.sample.shape[1]: " from Jackson's path. */
    private static String where(JsonMappingException e, boolean parentOnly) {
        var path = e.getPath();
        int end = parentOnly ? path.size() - 1 : path.size();
        var sb = new StringBuilder();
        for (int i = 0; i < end; i++) {
            var ref = path.get(i);
            if (ref.getFieldName() != null) {
                sb.append(sb.length() == 0 ? "" : ".").append(ref.getFieldName());
            } else {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.length() == 0 ? "model.json: " : sb + ": ";
    }

    /** The bundle folder (real path). */
    public Path root() {
        return root;
    }

    public ModelSpec spec() {
        return spec;
    }

    /** The single text encoder's graph; null where the bundle lists several ({@link #textEncoders()} has them all). */
    public Path textEncoderFile() {
        return files.get("components.textEncoder.file");
    }

    /**
     * One text encoder with its tokenizer, resolved.
     *
     * @param where the field that declares it, for messages ("components.textEncoders.encoders[1]")
     */
    public record TextEncoder(String where, ModelSpec.Component component, Path file, ModelSpec.TokenizerSpec tokenizer,
                              Path tokenizerFile) {
    }

    /** Every text encoder in the order the combination rule reads them: the single one, or each of several. */
    public List<TextEncoder> textEncoders() {
        var several = spec.components().textEncoders();
        if (several == null) {
            return List.of(new TextEncoder("components.textEncoder", spec.components().textEncoder(),
                    textEncoderFile(), spec.tokenizer(), tokenizerFile()));
        }
        List<TextEncoder> out = new ArrayList<>();
        for (int i = 0; i < several.encoders().size(); i++) {
            String where = "components.textEncoders.encoders[" + i + "]";
            ModelSpec.TextEncoderSpec e = several.encoders().get(i);
            out.add(new TextEncoder(where, e.asComponent(), files.get(where + ".file"), e.tokenizer(),
                    files.get(where + ".tokenizer.file")));
        }
        return List.copyOf(out);
    }

    /** The graph files of every text encoder. */
    public List<Path> textEncoderFiles() {
        return textEncoders().stream().map(TextEncoder::file).toList();
    }

    public Path denoiserFile() {
        return files.get("components.denoiser.file");
    }

    public Optional<Path> vaeDecoderFile() {
        return Optional.ofNullable(files.get("components.vaeDecoder.file"));
    }

    /** The single text encoder's tokenizer; null where the bundle lists several text encoders. */
    public Path tokenizerFile() {
        return files.get("tokenizer.file");
    }

    public Optional<Path> licenseFile() {
        return Optional.ofNullable(files.get("license.file"));
    }

    /**
     * The scheduler to sample with: {@code defaults.scheduler} if set, else {@code scheduler.name}, with the
     * document's defaults for absent fields (1000 train steps, betas 0.0001..0.02, trailing spacing, shift 1).
     */
    public SchedulerConfig schedulerConfig() {
        return schedulerConfig(spec);
    }

    /**
     * The scheduler {@code modelJson} declares, without loading the rest of its bundle (for sampler checks against
     * runs recorded from diffusers, kept without their graphs).
     */
    public static SchedulerConfig schedulerConfig(Path modelJson) throws BundleException {
        return schedulerConfig(parse(modelJson.toString(), modelJson));
    }

    private static SchedulerConfig schedulerConfig(ModelSpec spec) {
        var s = spec.scheduler();
        SchedulerName name = spec.defaults().scheduler() != null ? spec.defaults().scheduler() : s.name();
        return new SchedulerConfig(name, spec.prediction(),
                s.numTrainTimesteps() == null ? 1000 : s.numTrainTimesteps(), s.betaSchedule(),
                s.betaStart() == null ? 0.0001 : s.betaStart(), s.betaEnd() == null ? 0.02 : s.betaEnd(),
                s.timestepSpacing() == null ? TimestepSpacing.TRAILING : s.timestepSpacing(),
                s.shift() == null ? 1.0 : s.shift(), 0.0);
    }

    /** Reads lower-case {@link JsonName} enums ("euler_ancestral"), naming the accepted values otherwise. */
    private static final class JsonNameDeserializers extends SimpleDeserializers {
        private static final long serialVersionUID = 1L;

        @Override
        public JsonDeserializer<?> findEnumDeserializer(Class<?> type, DeserializationConfig config,
                BeanDescription beanDesc) {
            return JsonName.class.isAssignableFrom(type) ? new JsonNameDeserializer(type) : null;
        }
    }

    private static final class JsonNameDeserializer extends StdScalarDeserializer<Object> {
        private static final long serialVersionUID = 1L;

        JsonNameDeserializer(Class<?> type) {
            super(type);
        }

        @Override
        @SuppressWarnings("unchecked")
        public Object deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() != JsonToken.VALUE_STRING) {
                return ctxt.handleUnexpectedToken(handledType(), p);
            }
            try {
                return JsonName.parse((Class<JsonName>) handledType(), p.getText());
            } catch (IllegalArgumentException e) {
                throw InvalidFormatException.from(p, e.getMessage(), p.getText(), handledType());
            }
        }
    }
}
