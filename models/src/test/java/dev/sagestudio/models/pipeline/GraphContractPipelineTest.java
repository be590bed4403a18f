package dev.sagestudio.models.pipeline;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.runtime.OrtRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A graph that does not have the inputs its model.json declares is refused when the pipeline opens, naming the file. */
class GraphContractPipelineTest {

    @TempDir
    Path dir;

    @Test
    void aTextEncoderCopiedOverTheDenoiserIsRefusedNamingTheFileAndTheField() throws Exception {
        Path bundle = TinyBundle.image(dir.resolve("swapped"), false);
        Files.copy(bundle.resolve("text_encoder.onnx"), bundle.resolve("denoiser.onnx"),
                StandardCopyOption.REPLACE_EXISTING);
        ModelBundle loaded = ModelBundle.load(bundle);
        for (String backend : new String[] {"cpu-reference", AttentionChoice.ONNX_RUNTIME}) {
            var e = assertThrows(IllegalArgumentException.class, () -> DiffusionPipeline.open(loaded,
                    AttentionResolver.resolve(backend, false), OrtRuntime.cpu(1)).close());
            assertTrue(e.getMessage().contains("components.denoiser.inputs.sample.name: denoiser.onnx has no input"
                    + " 'sample' (its inputs: input_ids; is it the right file?)"), e.getMessage());
            assertTrue(e.getMessage().contains("components.denoiser.outputs.model_output.name: denoiser.onnx has no"
                    + " output 'model_output'"), e.getMessage());
        }
    }
}
