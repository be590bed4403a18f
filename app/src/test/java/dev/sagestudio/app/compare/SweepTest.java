package dev.sagestudio.app.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.bundle.ModelBundle;
import dev.sagestudio.models.pipeline.CancellationToken;
import dev.sagestudio.models.pipeline.GenerationRequest;
import dev.sagestudio.models.pipeline.ProgressListener;
import dev.sagestudio.models.pipeline.TinyBundle;
import dev.sagestudio.models.runtime.OrtRuntime;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sweeps on the tiny bundle: the grid, its labels and its picture. */
class SweepTest {

    @TempDir
    static Path dir;
    static ModelBundle bundle;

    @BeforeAll
    static void load() throws Exception {
        bundle = ModelBundle.load(TinyBundle.image(dir.resolve("image"), false));
    }

    static SweepResult sweep(SweepPlan plan, List<String> progress) throws Exception {
        return Sweep.run(bundle, plan, OrtRuntime.cpu(1), false, 1, (row, column, done, cells) -> {
            progress.add(done + "/" + cells + " r" + row + " c" + column);
            return ProgressListener.NONE;
        }, new CancellationToken());
    }

    @Test
    void backendsBySeedsGiveAGridMeasuredAgainstTheFirstColumnWithLabelsOfWhatDiffers() throws Exception {
        List<String> progress = new ArrayList<>();
        SweepPlan plan = new SweepPlan(GenerationRequest.of("a red heart", 1).withSteps(2),
                List.of("cpu-reference", "cpu-sage-int8-fp16", "cpu-reference"), SweepPlan.Axis.SEEDS,
                List.of(5L, 6L));
        SweepResult r = sweep(plan, progress);
        assertEquals(List.of("0/6 r0 c0", "1/6 r1 c0", "2/6 r0 c1", "3/6 r1 c1", "4/6 r0 c2", "5/6 r1 c2"), progress);
        assertEquals(List.of("cpu-reference", "cpu-sage-int8-fp16", "cpu-reference"), r.columnLabels());
        assertEquals(List.of("seed 5", "seed 6"), r.rowLabels());
        assertEquals("2", r.shared().get("steps"));
        assertTrue(r.caption().contains("prompt \"a red heart\"") && !r.caption().contains("seed"), r.caption());
        for (List<SweepResult.Cell> row : r.cells()) {
            assertEquals(Double.POSITIVE_INFINITY, row.get(0).psnr(), "the first column is the reference");
            assertTrue(Double.isFinite(row.get(1).psnr()) && row.get(1).psnr() > 20, "quantized: close, not equal");
            assertEquals(Double.POSITIVE_INFINITY, row.get(2).psnr(), "the reference again is deterministic");
            assertTrue(row.get(1).totalMs() > 0);
            assertTrue(row.get(1).caption(false).contains("PSNR"));
        }
        assertEquals(5, r.cells().get(0).get(1).result().seed());
        assertEquals(6, r.cells().get(1).get(1).result().seed());
        BufferedImage grid = SweepImage.render(r);
        assertTrue(grid.getWidth() >= 3 * 160 && grid.getHeight() >= 2 * 160, grid.getWidth() + "×" + grid.getHeight());
    }

    @Test
    void stepCountsVaryTheRowsAndTheSeedMovesToTheCaption() throws Exception {
        SweepPlan plan = new SweepPlan(GenerationRequest.of("a cat", 9), List.of("cpu-reference"),
                SweepPlan.Axis.STEPS, List.of(1L, 3L));
        SweepResult r = sweep(plan, new ArrayList<>());
        assertEquals(List.of("steps 1", "steps 3"), r.rowLabels());
        assertEquals(3, r.cells().get(1).get(0).result().steps());
        assertEquals("9", r.shared().get("seed"));
        assertEquals(List.of(""), r.columnLabels(), "one backend: nothing differs between columns");
        assertEquals("cpu-reference", r.shared().get(""));
    }

    @Test
    void distinctLabelsKeepOnlyTheSettingsThatDiffer() {
        var d = Labels.distinct(List.of(Map.of("seed", "1", "steps", "4"), Map.of("seed", "2", "steps", "4")));
        assertEquals(List.of("seed 1", "seed 2"), d.labels());
        assertEquals(Map.of("steps", "4"), d.shared());
    }

    @Test
    void aPlanWithoutBackendsOrWithImpossibleStepCountsIsRefused() {
        GenerationRequest base = GenerationRequest.of("x", 1);
        assertThrows(IllegalArgumentException.class, () -> new SweepPlan(base, List.of(), SweepPlan.Axis.SEEDS,
                List.of(1L)));
        assertThrows(IllegalArgumentException.class, () -> new SweepPlan(base, List.of("cpu-reference"),
                SweepPlan.Axis.STEPS, List.of(0L)));
    }
}
