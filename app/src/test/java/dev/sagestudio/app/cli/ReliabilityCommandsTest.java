package dev.sagestudio.app.cli;

import dev.sagestudio.app.service.BundleLocator;

import static dev.sagestudio.app.cli.PipelineCommandsTest.sagestudio;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sagestudio.app.cli.PipelineCommandsTest.Outcome;
import dev.sagestudio.models.output.AtomicFiles;
import dev.sagestudio.models.pipeline.TinyBundle;
import dev.sagestudio.models.runtime.ThreadLimit;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line's answers to the cases of docs/RELIABILITY.md: exit status, message, and what was written. */
class ReliabilityCommandsTest {

    @TempDir
    static Path dir;
    static Path bundle;
    static Path nanBundle;

    @BeforeAll
    static void writeBundles() {
        bundle = TinyBundle.image(dir.resolve("tiny"), false);
        nanBundle = TinyBundle.imageWithDenoiserWeight(dir.resolve("nan"), "w_out", Float.NaN);
    }

    private static Outcome generate(String... more) {
        String[] base = {"generate", "a red heart", "--model", bundle.toString(), "--seed", "7", "--steps", "2",
            "--threads", "1"};
        String[] args = new String[base.length + more.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(more, 0, args, base.length, more.length);
        return sagestudio(args);
    }

    private static boolean ranNoStep(Outcome o) {
        return !o.err().contains("denoising");
    }

    @Test
    void aHugeOrTinyGuidanceIsRefusedBeforeAnyStep() {
        for (String g : new String[] {"1e39", "1e9", "0.5", "NaN"}) {
            Outcome o = generate("--guidance", g, "-o", dir.resolve("g.png").toString());
            assertEquals(2, o.status(), o.err());
            assertTrue(o.err().contains("guidance scale must be between 1 and 100"), o.err());
            assertTrue(ranNoStep(o), o.err());
        }
        assertFalse(Files.exists(dir.resolve("g.png")));
    }

    @Test
    void threadsBeyondTheCoresOrNegativeAreRefusedNamingTheLimit() {
        for (String t : new String[] {"100000", "999", "-3", Integer.toString(ThreadLimit.max() + 1)}) {
            Outcome o = sagestudio("generate", "a cat", "--model", bundle.toString(), "--threads", t, "-o",
                    dir.resolve("t.png").toString());
            assertEquals(2, o.status(), o.err());
            assertTrue(o.err().contains("--threads must be between 1 and " + ThreadLimit.max()), o.err());
            assertTrue(ranNoStep(o), o.err());
        }
    }

    @Test
    void anUnwritableOutputIsRefusedBeforeAnyStepWithTheReason() throws Exception {
        Outcome proc = generate("-o", "/proc/sagestudio-out.png");
        assertEquals(2, proc.status(), proc.err());
        assertTrue(proc.err().contains("error: cannot write /proc/sagestudio-out.png: folder /proc does not accept a"
                + " new file: "), proc.err());
        assertTrue(ranNoStep(proc), proc.err());

        Path folder = Files.createDirectories(dir.resolve("a-folder.png"));
        Outcome onFolder = generate("-o", folder.toString());
        assertEquals(2, onFolder.status(), onFolder.err());
        assertTrue(onFolder.err().contains("it is a folder") && ranNoStep(onFolder), onFolder.err());
    }

    @Test
    void aStalePartialFileOfAKilledRunIsRemovedByTheNextRun() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path out = dir.resolve("stale/out.png");
        Files.createDirectories(out.getParent());
        Path stale = Files.writeString(out.resolveSibling(".out.png." + gone.pid() + "-00000000deadbeef.partial"), "x");
        Outcome o = generate("-o", out.toString());
        assertEquals(0, o.status(), o.err());
        assertTrue(o.err().contains("removed a stale partial file of an earlier run: " + stale), o.err());
        try (Stream<Path> s = Files.list(out.getParent())) {
            assertEquals(1, s.count(), "only the output is left");
        }
    }

    @Test
    void aNonFiniteOutputExitsWithThreeAndWritesNothingUnlessAskedTo() throws Exception {
        Path png = dir.resolve("nan.png");
        Outcome o = sagestudio("generate", "a red heart", "--model", nanBundle.toString(), "--steps", "2", "--threads",
                "1", "-o", png.toString());
        assertEquals(3, o.status(), o.err());
        assertTrue(o.err().contains("failed: the generated output has 192 non-finite values of 192")
                && o.err().contains("the sample after step 1"), o.err());
        assertFalse(Files.exists(png));
        assertFalse(o.out().contains("wrote"), o.out());

        Outcome kept = sagestudio("generate", "a red heart", "--model", nanBundle.toString(), "--steps", "2",
                "--threads", "1", "-o", png.toString(), "--keep-bad-output");
        assertEquals(3, kept.status(), kept.err());
        assertTrue(kept.err().contains("kept the bad output as asked: wrote " + png), kept.err());
        assertTrue(Files.isRegularFile(png));
    }

    @Test
    void aPromptWithCharactersTheTokenizerDoesNotKnowIsReported() {
        Outcome o = sagestudio("generate", "a red 🍕 heart 寿司", "--model", bundle.toString(), "--steps", "1",
                "--threads", "1", "-o", dir.resolve("unk.png").toString());
        assertEquals(0, o.status(), o.err());
        assertTrue(o.err().contains("note: prompt: 2 token(s) unknown to the model's tokenizer")
                && o.err().contains("\"🍕\" (U+1F355)"), o.err());
    }

    @Test
    void aCancelArrivingWhileTheFileIsWrittenLeavesTheOldFileAndExits130WithoutSayingWrote() throws Exception {
        Path target = Files.writeString(dir.resolve("keep.png"), "the previous picture");
        StringWriter err = new StringWriter();
        StringWriter out = new StringWriter();
        int status = CommandRunner.run(new PrintWriter(err), cancel -> {
            AtomicFiles.write(target, tmp -> {
                Files.writeString(tmp, "new picture");
                cancel.cancel(); // Ctrl-C while the encoder runs
            }, () -> cancel.checkBeforeWrite(2));
            new PrintWriter(out).println("wrote " + target);
        });
        assertEquals(130, status);
        assertTrue(err.toString().contains("cancelled: cancelled while writing the output; nothing was written"),
                err.toString());
        assertFalse(out.toString().contains("wrote"));
        assertEquals("the previous picture", Files.readString(target));
        try (Stream<Path> s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".partial")));
        }
    }

    @Test
    void modelNamesAndPathsGetMessagesThatSayWhatIsWrong() {
        Outcome file = sagestudio("generate", "a cat", "--model", "/etc/passwd");
        assertEquals(2, file.status());
        assertTrue(file.err().contains("error: model /etc/passwd is not a folder"), file.err());

        Outcome name = sagestudio("generate", "a cat", "--model", "nosuchmodel");
        assertEquals(2, name.status());
        assertFalse(name.err().contains("trained and exported separately"), name.err());
        if (BundleLocator.candidateRoots().stream().anyMatch(r -> Files.isDirectory(r.resolve("models/bundled")))) {
            assertTrue(name.err().contains("bundled models: sage-emoji-t2i, sage-emoji-t2v"), name.err());
        }
    }

    @Test
    void inspectOfABrokenBundlePrintsTheProblemWithoutTheUsageText() throws Exception {
        Path broken = TinyBundle.image(dir.resolve("broken"), false);
        Files.writeString(broken.resolve("model.json"), Files.readString(broken.resolve("model.json"))
                .replace("\"padId\": 0", "\"padId\": 99"));
        Outcome o = sagestudio("inspect", broken.toString());
        assertEquals(2, o.status(), o.err());
        assertTrue(o.err().contains("tokenizer.padId: 99 is not in the vocabulary of tokenizer.json (ids 0..9)"),
                o.err());
        assertFalse(o.err().contains("Usage:"), o.err());
    }
}
