package vmd.parent.priv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import vmd.parent.config.DiskFormat;
import vmd.disk.Qcow2Creator;

/** How the parent opens disk chains for vioblk. */
class DiskImageTest {
    @TempDir
    Path dir;

    @Test
    void aProbedQcow2MayNotNameABackingFile() throws Exception {
        Path base = dir.resolve("secret.raw");
        Files.write(base, new byte[65536]);
        // What a guest could do to its raw disk: write a qcow2 header pointing elsewhere.
        Path forged = dir.resolve("guest.img");
        Qcow2Creator.createOverlay(forged, base.toString(), -1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DiskImage.open(forged.toString(), DiskFormat.AUTO, false));
        assertTrue(e.getMessage().contains("declare it with \"format qcow2\""), e.getMessage());
        try (DiskImage declared = DiskImage.open(forged.toString(), DiskFormat.QCOW2, false)) {
            assertEquals(2, declared.fds().size(), "a declared overlay opens with its backing file");
            assertEquals("qcow2", declared.formats().get(0));
            assertEquals("raw", declared.formats().get(1));
        }
    }

    @Test
    void brokenImagesAreNamedBeforeTheVmStarts() throws Exception {
        Path bad = dir.resolve("bad.qcow2");
        Files.write(bad, new byte[] {'Q', 'F', 'I', (byte) 0xfb, 0, 0, 0, 3});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DiskImage.open(bad.toString(), DiskFormat.AUTO, false));
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> DiskImage.open(dir.resolve("nope.raw").toString(), DiskFormat.RAW, false));
        assertEquals("disk " + dir.resolve("nope.raw") + ": ENOENT (No such file or directory)", missing.getMessage());
    }
}
