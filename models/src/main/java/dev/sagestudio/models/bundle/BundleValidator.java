package dev.sagestudio.models.bundle;

import dev.sagestudio.models.bundle.ModelSpec.Component;
import dev.sagestudio.models.bundle.ModelSpec.Dim;
import dev.sagestudio.models.bundle.ModelSpec.Kind;
import dev.sagestudio.models.bundle.ModelSpec.TensorDType;
import dev.sagestudio.models.bundle.ModelSpec.TensorSpec;
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
        if (required("tokenizer", spec.tokenizer())) {
            tokenizer();
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

    private void tokenizer() {
        var t = spec.tokenizer();
        file("tokenizer.file", t.file(), MAX_TOKENIZER_BYTES);
        range("tokenizer.maxLength", t.maxLength(), 1, 4096);
        if (t.padId() == null || t.padId() < 0) {
            problems.add("tokenizer.padId: must be a token id >= 0, got " + t.padId());
        }
        TokenizerVocabulary vocabulary = files.containsKey("tokenizer.file")
                ? TokenizerVocabulary.read(files.get("tokenizer.file")) : null;
        if (vocabulary != null) {
            problems.addAll(vocabulary.overlongAddedTokens("tokenizer.file " + t.file()));
            if (t.padId() != null && t.padId() >= 0) {
                vocabulary.size().ifPresent(size -> {
                    if (t.padId() >= size) {
                        problems.add("tokenizer.padId: " + t.padId() + " is not in the vocabulary of " + t.file()
                                + " (ids 0.." + (size - 1) + ")");
                    }
                });
            }
        }
    }

    private void components(boolean settingsSound) {
        var c = spec.components();
        var s = spec.sample();
        boolean video = spec.kind() == Kind.VIDEO;
        Long t = settingsSound ? (long) spec.tokenizer().maxLength() : null;
        Long latentH = settingsSound ? (long) s.height() / s.latentScale() : null;
        Long latentW = settingsSound ? (long) s.width() / s.latentScale() : null;
        Long channels = settingsSound ? (long) s.channels() : null;
        Long frames = settingsSound ? (long) s.frames() : null;
        Long latentFrames = settingsSound ? (long) spec.latentFrames() : null;
        Long height = settingsSound ? (long) s.height() : null;
        Long width = settingsSound ? (long) s.width() : null;

        if (required("components.textEncoder", c.textEncoder())) {
            var te = c.textEncoder();
            String w = "components.textEncoder";
            component(w, te, Set.of("input_ids"), Set.of("attention_mask"), Set.of("hidden_states"), false);
            tensor(w + ".inputs.input_ids", role(te.inputs(), "input_ids"), TensorDType.INT64, null, t);
            tensor(w + ".inputs.attention_mask", role(te.inputs(), "attention_mask"), TensorDType.INT64, null, t);
            tensor(w + ".outputs.hidden_states", role(te.outputs(), "hidden_states"), TensorDType.FLOAT32, null, t, null);
        }
        if (required("components.denoiser", c.denoiser())) {
            var d = c.denoiser();
            String w = "components.denoiser";
            component(w, d, Set.of("sample", "timestep", "encoder_hidden_states"), Set.of(), Set.of("model_output"),
                    false);
            Long[] sampleShape = video
                    ? new Long[] {null, channels, latentFrames, latentH, latentW}
                    : new Long[] {null, channels, latentH, latentW};
            TensorSpec sample = role(d.inputs(), "sample");
            tensor(w + ".inputs.sample", sample, TensorDType.FLOAT32, sampleShape);
            tensor(w + ".inputs.timestep", role(d.inputs(), "timestep"), TensorDType.FLOAT32, (Long) null);
            TensorSpec ehs = role(d.inputs(), "encoder_hidden_states");
            tensor(w + ".inputs.encoder_hidden_states", ehs, TensorDType.FLOAT32, null, t, null);
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
            component(w, v, Set.of("latent"), Set.of(), Set.of("image"), true);
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
            Set<String> outputs, boolean isVae) {
        file(where + ".file", c.file(), MAX_ONNX_BYTES);
        roles(where + ".inputs", c.inputs(), requiredIn, optionalIn);
        roles(where + ".outputs", c.outputs(), outputs, Set.of());
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
