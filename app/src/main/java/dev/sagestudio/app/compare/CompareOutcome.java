package dev.sagestudio.app.compare;

import dev.sagestudio.models.output.Pixels;
import dev.sagestudio.models.pipeline.AbResult;
import dev.sagestudio.models.pipeline.GenerationResult;
import java.util.List;

/**
 * What the compare view shows of an A/B run, without library types: the numbers, both outputs as images (one per
 * frame), the difference heatmap to render at any gain, and the frame rate for playing videos in lockstep.
 */
public record CompareOutcome(CompareNumbers numbers, List<ArgbImage> framesA, List<ArgbImage> framesB,
                             DifferenceHeatmap difference, int fps) {

    public static CompareOutcome of(AbResult result) {
        return new CompareOutcome(CompareNumbers.of(result), images(result.a()), images(result.b()),
                DifferenceHeatmap.of(result.a(), result.b()), result.a().fps());
    }

    /** One image per frame (one for an image). */
    static List<ArgbImage> images(GenerationResult r) {
        return Pixels.frames(r.output(), r.frames(), r.height(), r.width(), r.valueLow(), r.valueHigh()).stream()
                .map(ArgbImage::of).toList();
    }

    public int frames() {
        return framesA.size();
    }
}
