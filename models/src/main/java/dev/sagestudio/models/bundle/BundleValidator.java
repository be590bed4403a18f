package dev.sagestudio.models.bundle;

import dev.sagestudio.models.bundle.ModelSpec.Component;
import dev.sagestudio.models.bundle.ModelSpec.Dim;
import dev.sagestudio.models.bundle.ModelSpec.Kind;
import dev.sagestudio.models.bundle.ModelSpec.TensorDType;
import dev.sagestudio.models.bundle.ModelSpec.TensorSpec;
import dev.sagestudio.models.bundle.ModelSpec.TextCombine;
import dev.sagestudio.models.bundle.ModelSpec.TextEncoderSpec;
import dev.sagestudio.models.bundle.ModelSpec.TextEncoders;
import dev.sagestudio.models.bundle.ModelSpec.TokenizerSpec;
import dev.sagestudio.models.scheduler.BetaSchedule;
import dev.sagestudio.models.scheduler.PredictionType;
import dev.sagestudio.models.scheduler.SchedulerName;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** The semantic rules of docs/model-bundle.md, checked on a parsed model.json; collects every problem. */
final class BundleValidator {

    static final long MAX_ONNX_BYTES = (2L << 30) - 1;
    static final long MAX_TOKENIZER_BYTES = 64L << 20;
    static final long MAX_LICENSE_BYTES = 1L << 20;
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final Set<Integer> LATENT_SCALES = Set.of(1, 2, 4, 8, 16);
    private static final String POOLED_INPUT = ModelSpec.POOLED_TEXT_ROLE;
    private static final String TIME_IDS = ModelSpec.TIME_IDS_ROLE;
    private static final int TIME_ID_COUNT = ModelSpec.TIME_ID_COUNT;

    private final Path root;
    private final ModelSpec spec;
    private final List<String> problems = new ArrayList<>();
    private final Map<String, Path> files = new LinkedHashMap<>();

    BundleValidator(Path root, ModelSpec spec) {
        this.root = root;
        this.spec = spec;
    }

    List<String> problems() {
        return problems;
    }

    /** Resolved files by field path ("components.denoiser.file", ...), filled by {@link #validate()}. */
    Map<String, Path> files() {
        return files;
    }

    void validate() {
        if (spec.name() == null || !NAME.matcher(spec.name()).matches()) {
            problems.add("name: must match " + NAME.pattern() + ", got " + quoted(spec.name()));
        }
        nonEmpty("displayName", spec.displayName());
        required("kind", spec.kind());
        required("prediction", spec.prediction());
        int before = problems.size();
        if (required("sample", spec.sample())) {
            sample();
        }
        boolean severalEncoders = spec.components() != null && spec.components().textEncoders() != null;
        if (severalEncoders && spec.tokenizer() != null) {
            problems.add("tokenizer: not used with components.textEncoders, where each encoder names its own"
                    + " tokenizer; remove it");
        } else if (!severalEncoders && required("tokenizer", spec.tokenizer())) {
            tokenizer("tokenizer", spec.tokenizer());
        }
        // Fixed dims are compared with sample and tokenizer settings only when those are sound.
        boolean settingsSound = problems.size() == before;
        if (required("components", spec.components())) {
            components(settingsSound);
        }
        if (required("scheduler", spec.scheduler())) {
            scheduler();
        }
        if (required("defaults", spec.defaults())) {
            defaults();
        }
        if (required("output", spec.output())) {
            var range = spec.output().valueRange();
            if (range == null || range.size() != 2 || range.contains(null)
                    || !Double.isFinite(range.get(0)) || !Double.isFinite(range.get(1)) || range.get(0) >= range.get(1)) {
                problems.add("output.valueRange: must be [lo, hi] with finite lo < hi, got " + range);
            }
        }
        if (required("license", spec.license())) {
            license();
        }
        if (spec.training() != null) {
            training();
        }
    }

    private void sample() {
        var s = spec.sample();
        Integer frames = s.frames();
        if (spec.kind() == Kind.IMAGE && !Integer.valueOf(1).equals(frames)) {
            problems.add("sample.frames: an image model needs frames = 1, got " + frames);
        }
        if (spec.kind() == Kind.VIDEO) {
            if (frames == null || frames < 2 || frames > 1024) {
                problems.add("sample.frames: a video model needs 2..1024 frames, got " + frames);
            }
            range("sample.fps", s.fps(), 1, 120);
        } else if (s.fps() != null) {
            problems.add("sample.fps: only a video model has a frame rate");
        }
        range("sample.channels", s.channels(), 1, 64);
        range("sample.height", s.height(), 8, 4096);
        range("sample.width", s.width(), 8, 4096);
        if (s.latentScale() == null || !LATENT_SCALES.contains(s.latentScale())) {
            problems.add("sample.latentScale: must be one of 1, 2, 4, 8, 16, got " + s.latentScale());
        } else {
            for (var side : List.of(new Object[] {"height", s.height()}, new Object[] {"width", s.width()})) {
                if (side[1] != null && (Integer) side[1] % s.latentScale() != 0) {
                    problems.add("sample." + side[0] + ": " + side[1] + " is not divisible by latentScale "
                            + s.latentScale());
                }
            }
        }
    }

    /** Checks the tokenizer object at {@code where}; its {@code maxLength} if that is sound, else null. */
    private Long tokenizer(String where, TokenizerSpec t) {
        file(where + ".file", t.file(), MAX_TOKENIZER_BYTES);
        int before = problems.size();
        range(where + ".maxLength", t.maxLength(), 1, 4096);
        Long maxLength = problems.size() == before ? (long) t.maxLength() : null;
        if (t.padId() == null || t.padId() < 0) {
            problems.add(where + ".padId: must be a token id >= 0, got " + t.padId());
        }
        TokenizerVocabulary vocabulary = files.containsKey(where + ".file")
                ? TokenizerVocabulary.read(files.get(where + ".file")) : null;
        if (vocabulary != null) {
            problems.addAll(vocabulary.overlongAddedTokens(where + ".file " + t.file()));
            if (t.padId() != null && t.padId() >= 0) {
                vocabulary.size().ifPresent(size -> {
                    if (t.padId() >= size) {
                        problems.add(where + ".padId: " + t.padId() + " is not in the vocabulary of " + t.file()
                                + " (ids 0.." + (size - 1) + ")");
                    }
                });
            }
        }
        return maxLength;
    }

    private void components(boolean settingsSound) {
        var c = spec.components();
        var s = spec.sample();
        boolean video = spec.kind() == Kind.VIDEO;
        Long t = settingsSound && spec.tokenizer() != null ? (long) spec.tokenizer().maxLength() : null;
        Long latentH = settingsSound ? (long) s.height() / s.latentScale() : null;
        Long latentW = settingsSound ? (long) s.width() / s.latentScale() : null;
        Long channels = settingsSound ? (long) s.channels() : null;
        Long frames = settingsSound ? (long) s.frames() : null;
        Long latentFrames = settingsSound ? (long) spec.latentFrames() : null;
        Long height = settingsSound ? (long) s.height() : null;
        Long width = settingsSound ? (long) s.width() : null;

        TextShape combined = null;
        if (c.textEncoders() != null) {
            if (c.textEncoder() != null) {
                problems.add("components.textEncoder: not allowed next to components.textEncoders; list every"
                        + " encoder there");
            }
            combined = textEncoders(c.textEncoders());
        } else if (required("components.textEncoder", c.textEncoder())) {
            var te = c.textEncoder();
            String w = "components.textEncoder";
            component(w, te, Set.of("input_ids"), Set.of("attention_mask"), Set.of("hidden_states"), Set.of(), false);
            tensor(w + ".inputs.input_ids", role(te.inputs(), "input_ids"), TensorDType.INT64, null, t);
            tensor(w + ".inputs.attention_mask", role(te.inputs(), "attention_mask"), TensorDType.INT64, null, t);
            tensor(w + ".outputs.hidden_states", role(te.outputs(), "hidden_states"), TensorDType.FLOAT32, null, t, null);
        }
        if (required("components.denoiser", c.denoiser())) {
            var d = c.denoiser();
            String w = "components.denoiser";
            component(w, d, Set.of("sample", "timestep", "encoder_hidden_states"), Set.of(POOLED_INPUT, TIME_IDS),
                    Set.of("model_output"), Set.of(), false);
            Long[] sampleShape = video
                    ? new Long[] {null, channels, latentFrames, latentH, latentW}
                    : new Long[] {null, channels, latentH, latentW};
            TensorSpec sample = role(d.inputs(), "sample");
            tensor(w + ".inputs.sample", sample, TensorDType.FLOAT32, sampleShape);
            tensor(w + ".inputs.timestep", role(d.inputs(), "timestep"), TensorDType.FLOAT32, (Long) null);
            TensorSpec ehs = role(d.inputs(), "encoder_hidden_states");
            if (combined != null) {
                combinedTextInputs(w, d, ehs, combined);
            } else {
                tensor(w + ".inputs.encoder_hidden_states", ehs, TensorDType.FLOAT32, null, t, null);
                for (String role : List.of(POOLED_INPUT, TIME_IDS)) {
                    if (role(d.inputs(), role) != null) {
                        problems.add(w + ".inputs." + role + ": only for several text encoders"
                                + " (components.textEncoders, schemaVersion 2)");
                    }
                }
            }
            TensorSpec out = role(d.outputs(), "model_output");
            tensor(w + ".outputs.model_output", out, TensorDType.FLOAT32, sampleShape);
            if (sample != null && out != null && sample.shape() != null && !sample.shape().equals(out.shape())) {
                problems.add(w + ".outputs.model_output.shape: must equal inputs.sample.shape " + sample.shape()
                        + ", got " + out.shape());
            }
            TensorSpec hidden = c.textEncoder() == null ? null : role(c.textEncoder().outputs(), "hidden_states");
            if (hidden != null && ehs != null && rank(hidden) == 3 && rank(ehs) == 3) {
                Dim a = hidden.shape().get(2);
                Dim b = ehs.shape().get(2);
                // a null dimension is reported by the rank check of that tensor
                if (a != null && b != null && a.isFixed() && b.isFixed() && a.size() != b.size()) {
                    problems.add(w + ".inputs.encoder_hidden_states.shape[2]: the text encoder outputs " + a.size()
                            + " channels but the denoiser takes " + b.size());
                }
            }
        }
        if (c.vaeDecoder() != null) {
            var v = c.vaeDecoder();
            String w = "components.vaeDecoder";
            component(w, v, Set.of("latent"), Set.of(), Set.of("image"), Set.of(), true);
            TensorSpec latent = role(v.inputs(), "latent");
            if (latent != null && rank(latent) == 5) {
                clipDecoder(w, v, latent, video, settingsSound, channels, latentFrames, latentH, latentW, frames,
                        height, width);
            } else {
                tensor(w + ".inputs.latent", latent, TensorDType.FLOAT32, null, channels, latentH, latentW);
                tensor(w + ".outputs.image", role(v.outputs(), "image"), TensorDType.FLOAT32, null, 3L, height, width);
                if (v.temporalScale() != null) {
                    problems.add(w + ".temporalScale: only for a decoder of whole clips (a latent of rank 5,"
                            + " [B, C, F, h, w])");
                }
            }
            if (v.scalingFactor() != null && !(v.scalingFactor() > 0 && Double.isFinite(v.scalingFactor()))) {
                problems.add(w + ".scalingFactor: must be a finite number > 0, got " + v.scalingFactor());
            }
            if (v.shiftFactor() != null && !Double.isFinite(v.shiftFactor())) {
                problems.add(w + ".shiftFactor: must be finite, got " + v.shiftFactor());
            }
        } else if (settingsSound && (s.latentScale() != 1 || s.channels() != 3)) {
            problems.add("components.vaeDecoder: missing; without a VAE the sample is the RGB image, so "
                    + "sample.channels must be 3 and sample.latentScale 1 (got " + s.channels() + " and "
                    + s.latentScale() + ")");
        }
    }

    /** What the text stage hands the denoiser, per prompt: fixed sizes where known, null where dynamic or unsound. */
    private record TextShape(TextCombine combine, Long length, Long width, Long pooledWidth) {
    }

    /** One encoder's fixed output sizes (null where dynamic or unsound). */
    private record EncoderShape(Long length, Long width, Long pooledWidth, boolean pooled) {
    }

    /**
     * Several text encoders (schemaVersion 2): each encoder as a component with its own tokenizer, then the
     * combination rule's needs (how many encoders, which give a pooled output, which sizes must agree).
     */
    private TextShape textEncoders(TextEncoders te) {
        String w = "components.textEncoders";
        if (spec.schemaVersion() != null && spec.schemaVersion() < 2) {
            problems.add(w + ": several text encoders need schemaVersion 2, the file declares "
                    + spec.schemaVersion());
        }
        required(w + ".combine", te.combine());
        if (Boolean.TRUE.equals(te.zerosForEmptyNegative()) && te.combine() == TextCombine.SD3) {
            problems.add(w + ".zerosForEmptyNegative: sd3 encodes the empty negative prompt (only sdxl may zero it)");
        }
        if (te.encoders() == null) {
            problems.add(w + ".encoders: missing");
            return new TextShape(te.combine(), null, null, null);
        }
        List<EncoderShape> shapes = new ArrayList<>();
        for (int i = 0; i < te.encoders().size(); i++) {
            shapes.add(textEncoder(w + ".encoders[" + i + "]", te.encoders().get(i)));
        }
        if (te.combine() == null) {
            return new TextShape(null, null, null, null);
        }
        int needed = te.combine() == TextCombine.SD3 ? 3 : 2;
        if (shapes.size() != needed) {
            problems.add(w + ".encoders: " + te.combine().jsonName() + " combines " + needed + " encoders ("
                    + (needed == 3 ? "CLIP-L, CLIP-G, T5" : "CLIP-L, CLIP-G") + ", in this order), got "
                    + shapes.size());
            return new TextShape(te.combine(), null, null, null);
        }
        EncoderShape l = shapes.get(0);
        EncoderShape g = shapes.get(1);
        String rule = te.combine().jsonName();
        // CLIP-L's and CLIP-G's states are joined token by token, so both read the same number of tokens
        if (l.length() != null && g.length() != null && !l.length().equals(g.length())) {
            problems.add(w + ".encoders[1].tokenizer.maxLength: " + rule + " joins CLIP-L's and CLIP-G's states token"
                    + " by token, so both need the same length; got " + l.length() + " and " + g.length());
        }
        Long clipWidth = sum(l.width(), g.width());
        if (te.combine() == TextCombine.SDXL) {
            if (l.pooled()) {
                problems.add(w + ".encoders[0].outputs.pooled: sdxl uses CLIP-G's pooled output only; remove it");
            }
            pooledRequired(w + ".encoders[1]", g, rule + " gives the denoiser CLIP-G's pooled output");
            return new TextShape(te.combine(), l.length(), clipWidth, g.pooledWidth());
        }
        EncoderShape t5 = shapes.get(2);
        pooledRequired(w + ".encoders[0]", l, rule + " concatenates CLIP-L's and CLIP-G's pooled outputs");
        pooledRequired(w + ".encoders[1]", g, rule + " concatenates CLIP-L's and CLIP-G's pooled outputs");
        if (t5.pooled()) {
            problems.add(w + ".encoders[2].outputs.pooled: sd3 does not use T5's pooled output; remove it");
        }
        if (clipWidth != null && t5.width() != null && clipWidth > t5.width()) {
            problems.add(w + ".encoders[2].outputs.hidden_states.shape[2]: sd3 zero-pads CLIP-L + CLIP-G ("
                    + clipWidth + " features) to T5's width, which must be at least that; got " + t5.width());
        }
        return new TextShape(te.combine(), sum(l.length(), t5.length()), t5.width(),
                sum(l.pooledWidth(), g.pooledWidth()));
    }

    private EncoderShape textEncoder(String where, TextEncoderSpec e) {
        if (e == null) {
            problems.add(where + ": is null");
            return new EncoderShape(null, null, null, false);
        }
        Long t = required(where + ".tokenizer", e.tokenizer()) ? tokenizer(where + ".tokenizer", e.tokenizer()) : null;
        Component c = e.asComponent();
        component(where, c, Set.of("input_ids"), Set.of("attention_mask"), Set.of("hidden_states"), Set.of("pooled"),
                false);
        tensor(where + ".inputs.input_ids", role(c.inputs(), "input_ids"), TensorDType.INT64, null, t);
        tensor(where + ".inputs.attention_mask", role(c.inputs(), "attention_mask"), TensorDType.INT64, null, t);
        TensorSpec hidden = role(c.outputs(), "hidden_states");
        tensor(where + ".outputs.hidden_states", hidden, TensorDType.FLOAT32, null, t, null);
        TensorSpec pooled = role(c.outputs(), "pooled");
        tensor(where + ".outputs.pooled", pooled, TensorDType.FLOAT32, null, null);
        return new EncoderShape(t, fixedDim(hidden, 3, 2), fixedDim(pooled, 2, 1), pooled != null);
    }

    private void pooledRequired(String where, EncoderShape e, String why) {
        if (!e.pooled()) {
            problems.add(where + ".outputs.pooled: missing; " + why);
        }
    }

    /** The denoiser's text inputs against what the combined encoders give. */
    private void combinedTextInputs(String w, Component d, TensorSpec ehs, TextShape text) {
        String rule = text.combine() == null ? "the combined text encoders" : text.combine().jsonName();
        tensor(w + ".inputs.encoder_hidden_states", ehs, TensorDType.FLOAT32, null, null, null);
        dimEquals(w + ".inputs.encoder_hidden_states.shape[1]", ehs, 3, 1, text.length(),
                rule + " gives this many tokens per prompt");
        dimEquals(w + ".inputs.encoder_hidden_states.shape[2]", ehs, 3, 2, text.width(),
                rule + " gives this many features per token");
        TensorSpec pooled = role(d.inputs(), POOLED_INPUT);
        if (pooled == null && d.inputs() != null) {
            problems.add(w + ".inputs." + POOLED_INPUT + ": missing; the text encoders give a pooled embedding ("
                    + rule + ")");
        }
        tensor(w + ".inputs." + POOLED_INPUT, pooled, TensorDType.FLOAT32, null, null);
        dimEquals(w + ".inputs." + POOLED_INPUT + ".shape[1]", pooled, 2, 1, text.pooledWidth(),
                rule + " gives a pooled embedding of this width");
        TensorSpec timeIds = role(d.inputs(), TIME_IDS);
        if (timeIds != null && text.combine() != TextCombine.SDXL) {
            problems.add(w + ".inputs." + TIME_IDS + ": size conditioning is for sdxl only");
        } else {
            tensor(w + ".inputs." + TIME_IDS, timeIds, TensorDType.FLOAT32, null, null);
            dimEquals(w + ".inputs." + TIME_IDS + ".shape[1]", timeIds, 2, 1, (long) TIME_ID_COUNT,
                    "SDXL's size conditioning (original size, crop, target size) has this many numbers");
        }
    }

    private void dimEquals(String where, TensorSpec t, int rank, int axis, Long expected, String why) {
        Long actual = fixedDim(t, rank, axis);
        if (actual != null && expected != null && !actual.equals(expected)) {
            problems.add(where + ": is " + actual + " but " + why + ": " + expected);
        }
    }

    /** Dimension {@code axis} of {@code t} where it has rank {@code rank} and the dimension is fixed, else null. */
    private static Long fixedDim(TensorSpec t, int rank, int axis) {
        if (t == null || rank(t) != rank || t.shape().get(axis) == null || !t.shape().get(axis).isFixed()) {
            return null;
        }
        return t.shape().get(axis).size();
    }

    private static Long sum(Long a, Long b) {
        return a == null || b == null ? null : a + b;
    }

    /**
     * A video VAE decoder over whole clips (schemaVersion 2): latent [B, C, F_latent, h, w] to image [B, 3, F, H, W],
     * F = (F_latent - 1) * temporalScale + 1.
     */
    private void clipDecoder(String w, Component v, TensorSpec latent, boolean video, boolean settingsSound,
                             Long channels, Long latentFrames, Long latentH, Long latentW, Long frames, Long height,
                             Long width) {
        if (spec.schemaVersion() != null && spec.schemaVersion() < 2) {
            problems.add(w + ".inputs.latent: a decoder of whole clips (rank 5) needs schemaVersion 2, the file"
                    + " declares " + spec.schemaVersion());
        }
        if (!video) {
            problems.add(w + ".inputs.latent: rank 5 ([B, C, F, h, w]) is for video models; kind is " + spec.kind());
            return;
        }
        Integer scale = v.temporalScale();
        if (scale != null && (scale < 1 || scale > 8)) {
            problems.add(w + ".temporalScale: must be 1..8, got " + scale);
        } else if (settingsSound && (frames - 1) % v.temporalScaleOrOne() != 0) {
            problems.add("sample.frames: " + frames + " frames do not come out of a decoder with temporalScale "
                    + v.temporalScaleOrOne() + " (frames - 1 must be a multiple of it, e.g. "
                    + ((frames - 1) / v.temporalScaleOrOne() * v.temporalScaleOrOne() + 1) + ")");
        }
        tensor(w + ".inputs.latent", latent, TensorDType.FLOAT32, null, channels, latentFrames, latentH, latentW);
        tensor(w + ".outputs.image", role(v.outputs(), "image"), TensorDType.FLOAT32, null, 3L, frames, height, width);
    }

    private void component(String where, Component c, Set<String> requiredIn, Set<String> optionalIn,
            Set<String> outputs, Set<String> optionalOut, boolean isVae) {
        file(where + ".file", c.file(), MAX_ONNX_BYTES);
        roles(where + ".inputs", c.inputs(), requiredIn, optionalIn);
        roles(where + ".outputs", c.outputs(), outputs, optionalOut);
        if (!isVae && (c.scalingFactor() != null || c.shiftFactor() != null)) {
            problems.add(where + ": scalingFactor and shiftFactor belong to the vaeDecoder only");
        }
        if (!isVae && c.temporalScale() != null) {
            problems.add(where + ": temporalScale belongs to the vaeDecoder only");
        }
        var names = new HashSet<String>();
        for (var map : List.of(c.inputs() == null ? Map.<String, TensorSpec>of() : c.inputs(),
                c.outputs() == null ? Map.<String, TensorSpec>of() : c.outputs())) {
            for (var e : map.entrySet()) {
                if (e.getValue() != null && e.getValue().name() != null && !names.add(e.getValue().name())) {
                    problems.add(where + ": tensor name '" + e.getValue().name() + "' is used by two roles");
                }
            }
        }
    }

    private void roles(String where, Map<String, TensorSpec> map, Set<String> required, Set<String> optional) {
        if (map == null) {
            problems.add(where + ": missing");
            return;
        }
        for (String role : required) {
            if (map.get(role) == null) {
                problems.add(where + "." + role + ": missing");
            }
        }
        for (String role : map.keySet()) {
            if (!required.contains(role) && !optional.contains(role)) {
                var known = new ArrayList<>(required);
                known.addAll(optional);
                problems.add(where + ": unknown role '" + role + "'; known roles: " + String.join(", ", known));
            }
        }
    }

    /** Checks dtype, name and the shape against {@code expected} (one entry per dim; null = any). */
    private void tensor(String where, TensorSpec t, TensorDType dtype, Long... expected) {
        if (t == null) {
            return; // a missing required role was reported by roles()
        }
        nonEmpty(where + ".name", t.name());
        if (t.dtype() != dtype) {
            problems.add(where + ".dtype: must be " + dtype.jsonName() + ", got "
                    + (t.dtype() == null ? "nothing" : t.dtype().jsonName()));
        }
        if (t.shape() == null || t.shape().size() != expected.length || t.shape().contains(null)) {
            problems.add(where + ".shape: must have rank " + expected.length + ", got " + t.shape());
            return;
        }
        for (int i = 0; i < expected.length; i++) {
            Dim d = t.shape().get(i);
            if (expected[i] != null && d.isFixed() && d.size() != expected[i]) {
                problems.add(where + ".shape[" + i + "]: is " + d.size() + " but sample/tokenizer settings require "
                        + expected[i]);
            }
        }
    }

    private void scheduler() {
        var s = spec.scheduler();
        String w = "scheduler";
        if (required(w + ".name", s.name())) {
            predictionFits(w + ".name", s.name());
        }
        if (s.numTrainTimesteps() != null) {
            range(w + ".numTrainTimesteps", s.numTrainTimesteps(), 1, 100_000);
        }
        boolean flow = spec.prediction() == PredictionType.FLOW;
        if (flow) {
            for (var f : new Object[][] {{"betaSchedule", s.betaSchedule()}, {"betaStart", s.betaStart()},
                    {"betaEnd", s.betaEnd()}, {"timestepSpacing", s.timestepSpacing()}}) {
                if (f[1] != null) {
                    problems.add(w + "." + f[0] + ": does not apply to flow prediction");
                }
            }
            if (s.shift() != null && !(s.shift() > 0 && Double.isFinite(s.shift()))) {
                problems.add(w + ".shift: must be a finite number > 0, got " + s.shift());
            }
            return;
        }
        if (s.shift() != null) {
            problems.add(w + ".shift: applies to flow prediction only");
        }
        if (required(w + ".betaSchedule", s.betaSchedule())) {
            boolean usesRange = s.betaSchedule() != BetaSchedule.SQUAREDCOS_CAP_V2;
            if (!usesRange && (s.betaStart() != null || s.betaEnd() != null)) {
                problems.add(w + ": betaStart/betaEnd do not apply to squaredcos_cap_v2");
            }
            double start = s.betaStart() == null ? 0.0001 : s.betaStart();
            double end = s.betaEnd() == null ? 0.02 : s.betaEnd();
            if (usesRange && !(start > 0 && start <= end && end < 1)) {
                problems.add(w + ": need 0 < betaStart <= betaEnd < 1, got " + start + " and " + end);
            }
        }
    }

    private void predictionFits(String where, SchedulerName name) {
        if (spec.prediction() != null && name.isFlow() != (spec.prediction() == PredictionType.FLOW)) {
            problems.add(where + ": " + name.jsonName() + " cannot sample a model with prediction '"
                    + spec.prediction().jsonName() + "'" + (name.isFlow() ? "" : "; use flow_euler"));
        }
    }

    private void defaults() {
        var d = spec.defaults();
        range("defaults.steps", d.steps(), 1, 1000);
        Double g = d.guidanceScale();
        if (g == null || !(g >= 1 && g <= 100)) {
            problems.add("defaults.guidanceScale: must be in 1..100 (1 = no guidance), got " + g);
        }
        if (d.scheduler() != null) {
            predictionFits("defaults.scheduler", d.scheduler());
        }
    }

    private void license() {
        var l = spec.license();
        nonEmpty("license.spdx", l.spdx());
        if (l.file() != null) {
            file("license.file", l.file(), MAX_LICENSE_BYTES);
        }
        if (l.attribution() == null) {
            problems.add("license.attribution: missing (an empty list if no third-party data was used)");
            return;
        }
        for (int i = 0; i < l.attribution().size(); i++) {
            var a = l.attribution().get(i);
            String w = "license.attribution[" + i + "]";
            if (a == null) {
                problems.add(w + ": is null");
                continue;
            }
            nonEmpty(w + ".source", a.source());
            nonEmpty(w + ".license", a.license());
            nonEmpty(w + ".url", a.url());
        }
    }

    private void training() {
        var t = spec.training();
        if (t.steps() == null || t.steps() < 0) {
            problems.add("training.steps: must be a count >= 0, got " + t.steps());
        }
        if (t.data() == null || t.data().isEmpty() || t.data().stream().anyMatch(d -> d == null || d.isBlank())) {
            problems.add("training.data: must list the data used, got " + t.data());
        }
        nonEmpty("training.loss", t.loss());
        nonEmpty("training.hardware", t.hardware());
        required("training.seed", t.seed());
    }

    private void file(String where, String relative, long maxBytes) {
        try {
            files.put(where, BundlePaths.resolveInside(root, relative, maxBytes));
        } catch (BundlePaths.PathException e) {
            problems.add(where + ": " + e.getMessage());
        }
    }

    private boolean required(String where, Object value) {
        if (value == null) {
            problems.add(where + ": missing");
        }
        return value != null;
    }

    private void nonEmpty(String where, String value) {
        if (value == null || value.isBlank()) {
            problems.add(where + ": missing or empty");
        }
    }

    private void range(String where, Integer value, int lo, int hi) {
        if (value == null || value < lo || value > hi) {
            problems.add(where + ": must be in " + lo + ".." + hi + ", got " + value);
        }
    }

    private static TensorSpec role(Map<String, TensorSpec> map, String role) {
        return map == null ? null : map.get(role);
    }

    private static int rank(TensorSpec t) {
        return t.shape() == null ? -1 : t.shape().size();
    }

    private static String quoted(String s) {
        return s == null ? "nothing" : "'" + s + "'";
    }
}
