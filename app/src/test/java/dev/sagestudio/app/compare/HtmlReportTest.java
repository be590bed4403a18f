package dev.sagestudio.app.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.models.pipeline.AbResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exported report is one self-contained file whose numbers are the result's. */
class HtmlReportTest {

    @TempDir
    Path dir;

    /** Fails on anything a browser would fetch: URLs, protocol-relative links, non-data sources, CSS imports. */
    static void assertSelfContained(String html) {
        String lower = html.toLowerCase(Locale.ROOT);
        assertFalse(lower.contains("http:") || lower.contains("https:") || lower.contains("ftp:"), "a URL");
        assertFalse(lower.contains("@import") || lower.contains("url("), "a CSS reference");
        Matcher refs = Pattern.compile("(src|href|xlink:href)\\s*=\\s*\"([^\"]*)\"").matcher(html);
        int images = 0;
        while (refs.find()) {
            assertTrue(refs.group(2).startsWith("data:"), "external reference " + refs.group());
            images++;
        }
        assertTrue(images >= 3, "both outputs and the difference, inline: " + images);
    }

    /** The JSON the report embeds. */
    static CompareNumbers embeddedNumbers(String html) throws Exception {
        Matcher m = Pattern.compile("<script type=\"application/json\" id=\"sagestudio-numbers\">(.*?)</script>",
                Pattern.DOTALL).matcher(html);
        assertTrue(m.find(), "numbers embedded");
        return CompareJson.read(m.group(1).replace("<\\/", "</"));
    }

    @Test
    void anImageReportIsSelfContainedAndShowsTheResultsNumbers() throws Exception {
        AbResult r = FixedResults.image();
        Path html = dir.resolve("report.html");
        Path json = HtmlReport.write(r, html);
        String text = Files.readString(html);
        assertSelfContained(text);
        CompareNumbers n = CompareNumbers.of(r);
        assertEquals(n, embeddedNumbers(text));
        assertEquals(n, CompareJson.read(Files.readString(json)));
        assertEquals(dir.resolve("report.json"), json);
        assertTrue(text.contains("<td>" + CompareText.psnr(r.metrics().psnr()) + "</td>"), "PSNR shown");
        assertTrue(text.contains(String.format(Locale.ROOT, "<td>%.6f</td>", r.metrics().ssim())), "SSIM shown");
        assertTrue(text.contains("<td>32.0</td><td>13.0</td><td>2.46×</td>"), "median step times and ratio");
        assertTrue(text.contains("12.00× in attention alone"), "attention speed-up");
        assertTrue(text.contains("attn2 (worst)"), "worst layer marked");
        assertTrue(text.contains("<svg") && text.contains("per layer") && text.contains("sampled steps × layers"));
        assertFalse(text.contains("PSNR per frame"), "no per-frame plot for an image");
    }

    @Test
    void theCommittedExampleReportIsSelfContainedAndMatchesItsJson() throws Exception {
        Path html = Path.of("..", "docs", "compare", "compare-cpu-sage-emoji-t2i.html");
        String text = Files.readString(html);
        assertSelfContained(text);
        CompareNumbers embedded = embeddedNumbers(text);
        assertEquals(CompareJson.read(Files.readString(html.resolveSibling("compare-cpu-sage-emoji-t2i.json"))),
                embedded);
        assertTrue(text.contains("<td>" + CompareText.psnr(embedded.quality().psnr()) + "</td>"));
    }

    @Test
    void aVideoReportHasClipsFramesAndThePerFramePsnrPlot() throws Exception {
        AbResult r = FixedResults.video(4);
        String text = HtmlReport.render(r, CompareNumbers.of(r));
        assertSelfContained(text);
        assertTrue(text.contains("data:image/gif;base64,"), "clips");
        assertTrue(text.contains("PSNR per frame"), "per-frame plot");
        for (int f = 0; f < 4; f++) {
            String psnr = CompareText.psnr(CompareNumbers.of(r).frames().get(f).psnr());
            assertTrue(text.contains("<tr><td class=\"l\">" + (f + 1) + "</td><td>" + psnr + "</td>"),
                    "frame " + (f + 1) + " PSNR " + psnr);
        }
        assertEquals(CompareNumbers.of(r), embeddedNumbers(text));
    }
}
