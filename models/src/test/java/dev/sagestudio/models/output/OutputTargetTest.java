package dev.sagestudio.models.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The output path is checked before any compute, and a write keeps modes, follows links and cleans up after itself. */
class OutputTargetTest {

    @TempDir
    Path dir;

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aMissingFolderIsCreatedAndLeftWithoutProbeFiles() throws Exception {
        Path target = dir.resolve("a/b/out.png");
        assertEquals(List.of(), OutputTarget.check(target));
        assertTrue(Files.isDirectory(dir.resolve("a/b")));
        try (Stream<Path> s = Files.list(dir.resolve("a/b"))) {
            assertEquals(0, s.count(), "the write probe is removed");
        }
    }

    @Test
    void aFolderAsTargetIsRefusedWithTheReason() throws Exception {
        Files.createDirectories(dir.resolve("out.png"));
        var e = assertThrows(IllegalArgumentException.class, () -> OutputTarget.check(dir.resolve("out.png")));
        assertTrue(e.getMessage().endsWith("out.png: it is a folder"), e.getMessage());
    }

    @Test
    void aFileWhereTheFolderShouldBeIsRefused() throws Exception {
        Files.writeString(dir.resolve("notafolder"), "x");
        var e = assertThrows(IllegalArgumentException.class, () -> OutputTarget.check(dir.resolve("notafolder/out.png")));
        assertTrue(e.getMessage().contains("notafolder is not a folder"), e.getMessage());
    }

    @Test
    void aSpecialFileIsRefused() throws Exception {
        Path fifo = dir.resolve("pipe.png");
        Assumptions.assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo");
        var e = assertThrows(IllegalArgumentException.class, () -> OutputTarget.check(fifo));
        assertTrue(e.getMessage().contains("it is a special file"), e.getMessage());
    }

    @Test
    void aFolderThatTakesNoNewFileIsRefusedWithTheFileSystemsReason() {
        // /proc refuses new files even for root, so this holds wherever the tests run on Linux
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")));
        var e = assertThrows(IllegalArgumentException.class, () -> OutputTarget.check(Path.of("/proc/sagestudio-test.png")));
        assertTrue(e.getMessage().startsWith("cannot write /proc/sagestudio-test.png: folder /proc does not accept a"
                + " new file: "), e.getMessage());
        assertFalse(e.getMessage().endsWith(": "), "a reason follows: " + e.getMessage());
    }

    @Test
    void aReadOnlyExistingFileIsRefusedForOrdinaryUsers() throws Exception {
        Assumptions.assumeFalse("root".equals(System.getProperty("user.name")), "root may write read-only files");
        Path target = Files.writeString(dir.resolve("ro.png"), "old");
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("r--r--r--"));
        var e = assertThrows(IllegalArgumentException.class, () -> OutputTarget.check(target));
        assertTrue(e.getMessage().endsWith("ro.png: permission denied"), e.getMessage());
    }

    @Test
    void aReplacedFileKeepsItsPermissionsAndANewOneGetsTheUmasksNotAlways0600() throws Exception {
        Path old = Files.writeString(dir.resolve("shared.png"), "old");
        Files.setPosixFilePermissions(old, PosixFilePermissions.fromString("rw-r-----"));
        AtomicFiles.write(old, tmp -> Files.writeString(tmp, "new"));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(old)));

        // a new file gets what creating any file here gets (the umask applied to rw-rw-rw-)
        Path reference = Files.createFile(dir.resolve("reference"));
        Path fresh = dir.resolve("fresh.png");
        AtomicFiles.write(fresh, tmp -> Files.writeString(tmp, "new"));
        assertEquals(Files.getPosixFilePermissions(reference), Files.getPosixFilePermissions(fresh));
    }

    @Test
    void aSymbolicLinkIsWrittenThroughAndStaysALink() throws Exception {
        Path real = Files.writeString(dir.resolve("real.png"), "old");
        Path link = Files.createSymbolicLink(dir.resolve("link.png"), Path.of("real.png"));
        OutputTarget.check(link);
        AtomicFiles.write(link, tmp -> Files.writeString(tmp, "new"));
        assertTrue(Files.isSymbolicLink(link));
        assertEquals("new", Files.readString(real));
        assertEquals(List.of("link.png", "real.png"), names());
    }

    @Test
    void staleTemporaryFilesOfADeadRunAreRemovedAndThoseOfALiveOneKept() throws Exception {
        Process finished = new ProcessBuilder("true").start();
        finished.waitFor();
        long deadPid = finished.pid();
        Path target = dir.resolve("out.png");
        Path dead = Files.writeString(dir.resolve(".out.png." + deadPid + "-0123456789abcdef.partial"), "half");
        Path live = Files.writeString(dir.resolve(".out.png." + ProcessHandle.current().pid()
                + "-0123456789abcdef.partial"), "being written");
        Path legacyOld = Files.writeString(dir.resolve(".out.png.859403.partial"), "old version's leftover");
        Files.setLastModifiedTime(legacyOld, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
        Path legacyRecent = Files.writeString(dir.resolve(".out.png.123.partial"), "maybe still written");
        Path otherName = Files.writeString(dir.resolve(".other.png." + deadPid + "-0123456789abcdef.partial"), "x");

        List<Path> removed = OutputTarget.check(target);

        assertEquals(2, removed.size(), removed.toString());
        assertFalse(Files.exists(dead));
        assertFalse(Files.exists(legacyOld));
        assertTrue(Files.exists(live) && Files.exists(legacyRecent) && Files.exists(otherName));
    }

    @Test
    void aDiskFullWriteNamesTheReasonKeepsTheOldFileAndLeavesNoPartialFile() throws Exception {
        Path target = Files.writeString(dir.resolve("out.png"), "old");
        var e = assertThrows(IOException.class, () -> AtomicFiles.write(target, tmp -> {
            try (OutputStream out = new DiskFullAfter(Files.newOutputStream(tmp), 1000)) {
                out.write(new byte[4096]);
            }
        }));
        assertEquals("cannot write " + target + ": No space left on device", e.getMessage());
        assertEquals("old", Files.readString(target));
        assertEquals(List.of("out.png"), names());
    }

    @Test
    void aRealFullFileSystemGivesTheSameClearFailure() throws Exception {
        // a 64 KiB tmpfs where the machine allows mounting one (root with CAP_SYS_ADMIN), else skipped
        Path small = Files.createDirectories(dir.resolve("small"));
        Assumptions.assumeTrue(new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", small.toString())
                .redirectErrorStream(true).start().waitFor() == 0, "cannot mount a tmpfs here");
        try {
            Path target = Files.writeString(small.resolve("out.png"), "old");
            var noise = new java.awt.image.BufferedImage(256, 256, java.awt.image.BufferedImage.TYPE_INT_RGB);
            var random = new java.util.Random(1);
            for (int y = 0; y < 256; y++) {
                for (int x = 0; x < 256; x++) {
                    noise.setRGB(x, y, random.nextInt());
                }
            }
            var e = assertThrows(IOException.class, () -> PngWithParameters.write(target, noise, java.util.Map.of()));
            assertTrue(e.getMessage().startsWith("cannot write " + target + ": "), e.getMessage());
            assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
            assertEquals("old", Files.readString(target));
            try (Stream<Path> s = Files.list(small)) {
                assertEquals(List.of(target), s.toList());
            }
        } finally {
            new ProcessBuilder("umount", small.toString()).start().waitFor();
        }
    }

    @Test
    void aGateThatSaysNoKeepsTheOldFile() throws Exception {
        Path target = Files.writeString(dir.resolve("out.png"), "old");
        assertThrows(IllegalStateException.class, () -> AtomicFiles.write(target, tmp -> Files.writeString(tmp, "new"),
                () -> {
                    throw new IllegalStateException("cancelled meanwhile");
                }));
        assertEquals("old", Files.readString(target));
        assertEquals(List.of("out.png"), names());
    }

    /** A stream on a disk that fills up after {@code capacity} bytes, failing as Linux reports ENOSPC. */
    static final class DiskFullAfter extends FilterOutputStream {
        private long left;

        DiskFullAfter(OutputStream out, long capacity) {
            super(out);
            this.left = capacity;
        }

        @Override
        public void write(int b) throws IOException {
            if (left-- <= 0) {
                throw new IOException("No space left on device");
            }
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            for (int i = 0; i < len; i++) {
                write(b[off + i]);
            }
        }
    }
}
