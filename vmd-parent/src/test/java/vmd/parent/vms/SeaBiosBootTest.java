package vmd.parent.vms;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import vmd.parent.config.BootDevice;
import vmd.parent.config.DiskFormat;
import vmd.parent.config.VmConfig;
import vmd.testing.Prerequisites;

/** SeaBIOS (Debian's, a virtio-blk driver nobody here wrote) on our console and booting from our disks. */
class SeaBiosBootTest {
    private static final Duration FIRMWARE = Duration.ofSeconds(120);
    private Path dir;

    @BeforeEach
    void setUp() throws Exception {
        Prerequisites.require(Files.isReadable(Path.of("/usr/share/seabios/bios-256k.bin")), "SeaBIOS (Debian package seabios)");
        dir = Files.createTempDirectory(Path.of("/tmp"), "seabios-test");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void tearDown() throws Exception {
        if (dir == null) return;
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) Files.delete(p);
        }
        Files.delete(dir);
    }

    @Test
    void bannerOnTheConsoleAndNoBootableDevice() throws Exception {
        try (VmFixture f = new VmFixture()) {
            f.start(VmConfig.builder("bios").memory(64L << 20).build());
            f.awaitConsole("SeaBIOS (version", FIRMWARE);
            f.awaitConsole("No bootable device.", FIRMWARE);
        }
    }

    @Test
    void bootsATwoStageLoaderFromARawDisk() throws Exception {
        Path disk = BootSectors.twoStageDisk(dir.resolve("boot.raw"));
        try (VmFixture f = new VmFixture()) {
            f.start(VmConfig.builder("rawboot").memory(64L << 20).disk(disk.toString(), DiskFormat.RAW).build());
            f.awaitConsole("Booting from Hard Disk", FIRMWARE);
            f.awaitConsole(BootSectors.STAGE2_MARKER + " " + BootSectors.expectedSum(), FIRMWARE); // the whole line, not a prefix
        }
    }

    @Test
    void bootsTheSameLoaderFromAQcow2Disk() throws Exception {
        Prerequisites.requireTool("/usr/bin/qemu-img");
        Path raw = BootSectors.twoStageDisk(dir.resolve("boot.raw"));
        Path qcow2 = dir.resolve("boot.qcow2");
        Process p = new ProcessBuilder("qemu-img", "convert", "-O", "qcow2", raw.toString(), qcow2.toString())
                .inheritIO().start();
        assertTrue(p.waitFor() == 0, "qemu-img convert");
        Files.setPosixFilePermissions(qcow2, PosixFilePermissions.fromString("rw-r--r--"));
        try (VmFixture f = new VmFixture()) {
            f.start(VmConfig.builder("qcowboot").memory(64L << 20).disk(qcow2.toString(), DiskFormat.AUTO).build());
            f.awaitConsole(BootSectors.STAGE2_MARKER + " " + BootSectors.expectedSum(), FIRMWARE);
        }
    }

    /**
     * A disk and a cdrom that both boot, told apart by their data sums: by default the disk
     * boots; {@code boot device cdrom} puts the cdrom first in SeaBIOS's bootorder.
     */
    @Test
    void bootDeviceCdromBeatsTheDisk() throws Exception {
        long cdromSeed = 0x0123456789ABCDEFL;
        assertNotEquals(BootSectors.expectedSum(), BootSectors.expectedSum(cdromSeed));
        Path disk = BootSectors.twoStageDisk(dir.resolve("disk.raw"));
        Path cdrom = BootSectors.twoStageDisk(dir.resolve("cd.iso"), cdromSeed);
        try (VmFixture f = new VmFixture()) {
            f.start(VmConfig.builder("cdboot").memory(64L << 20).disk(disk.toString(), DiskFormat.RAW).cdrom(cdrom.toString())
                    .bootDevice(BootDevice.CDROM).build());
            f.awaitConsole(BootSectors.STAGE2_MARKER + " " + BootSectors.expectedSum(cdromSeed), FIRMWARE);
            assertTrue(!f.console().contains(BootSectors.expectedSum()), "the disk did not boot: " + f.console());
        }
    }
}
