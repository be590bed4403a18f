package dev.sagestudio.models.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sagestudio.models.scheduler.PredictionType;
import dev.sagestudio.models.scheduler.SchedulerName;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example in docs/model-bundle.md is a valid bundle and means what the document says. */
class ModelBundleDocTest {

    @Test
    void theDocumentedExampleLoads(@TempDir Path dir) throws Exception {
        ModelBundle bundle = new BundleFixture(dir).load();
        ModelSpec spec = bundle.spec();

        assertEquals(ModelSpec.Kind.IMAGE, spec.kind());
        assertEquals(PredictionType.FLOW, spec.prediction());
        assertEquals(SchedulerName.FLOW_EULER, spec.scheduler().name());
        assertEquals("[B, 3, 64, 64]", spec.components().denoiser().inputs().get("sample").shape().toString());
        assertEquals(32, spec.tokenizer().maxLength());
        assertEquals(3, spec.license().attribution().size());
        assertEquals(dir.toRealPath().resolve("denoiser.onnx"), bundle.denoiserFile());
        assertEquals(dir.toRealPath().resolve("tokenizer.json"), bundle.tokenizerFile());
        assertEquals(false, bundle.vaeDecoderFile().isPresent());
        var scheduler = bundle.schedulerConfig();
        assertEquals(SchedulerName.FLOW_EULER, scheduler.name());
        assertEquals(1000, scheduler.numTrainTimesteps());
        assertEquals(1.0, scheduler.shift());
    }
}
