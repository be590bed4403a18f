package dev.sagestudio.app.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The natives unpack into one folder that every later run reuses, also without a writable home folder. */
class NativeCacheTest {

    @TempDir
    Path dir;

    @Test
    void theCacheGoesUnderTheHomeFoldersDotCacheOrXdgCacheHome() {
        Path home = dir.resolve("home");
        assertEquals(home.resolve(".cache/sagestudio"), NativeCache.folder(k -> null, home.toString(), "/tmp", "ann"));
        Path xdg = dir.resolve("xdg");
        assertEquals(xdg.resolve("sagestudio"), NativeCache.folder(Map.of("XDG_CACHE_HOME", xdg.toString())::get,
                home.toString(), "/tmp", "ann"));
    }

    @Test
    void withoutAWritableHomeItIsOneFixedFolderInTmpNotANewOneEachRun() throws Exception {
        Path file = Files.writeString(dir.resolve("home-is-a-file"), "x"); // no folder can be made under it
        Path tmp = dir.resolve("tmp");
        Path first = NativeCache.folder(k -> null, file.toString(), tmp.toString(), "ann");
        assertEquals(tmp.resolve("sagestudio-ann-cache"), first);
        assertEquals(first, NativeCache.folder(k -> null, file.toString(), tmp.toString(), "ann"));
        assertEquals(tmp.resolve("sagestudio-user-cache"), NativeCache.folder(k -> null, "?", tmp.toString(), null));
    }

    @Test
    void javacppAndDjlGetSubfoldersAndAUserSettingWins() {
        Path folder = dir.resolve("c");
        assertEquals(Map.of(NativeCache.JAVACPP, folder.resolve("javacpp").toString(), NativeCache.DJL,
                folder.resolve("djl").toString()), NativeCache.settings(folder));
        Assumptions.assumeTrue(System.getenv(NativeCache.JAVACPP) == null);
        String before = System.getProperty(NativeCache.JAVACPP);
        String djlBefore = System.getProperty(NativeCache.DJL);
        System.setProperty(NativeCache.JAVACPP, "/my/own");
        try {
            NativeCache.configure();
            assertEquals("/my/own", System.getProperty(NativeCache.JAVACPP));
        } finally {
            restore(NativeCache.JAVACPP, before);
            restore(NativeCache.DJL, djlBefore);
        }
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }
}
