package vmd.parent.vms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import vmd.imsg.VmTerminated;
import vmd.imsg.VmTerminated.ExitKind;
import vmd.parent.config.DiskFormat;
import vmd.parent.config.VmConfig;
import vmd.testing.Prerequisites;

/**
 * The test guest's {@code blk} command (guest/blk.c, our own virtio-pci driver) against
 * our vioblk process over vhost-user: the guest reads, writes a seeded pattern, flushes
 * and reads back; the host checks the checksum the guest printed and the image file.
 * The checksum (FNV-1a 64) and the pattern (xorshift64) are defined in guest/README.md.
 */
class GuestBlkTest {
    private static final Duration RUN = Duration.ofSeconds(90);
    private static final int SECTOR = 512;
    private static final int XFER = 128 * SECTOR;          // what the guest reads and writes
    private static final long WRITE_SECTOR = 2048;          // vmdtest.blk_sector default
    private static final long SEED = 7;
    private static final int DISK_BYTES = 4 << 20;

    private Path dir;

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "guest-blk-test");
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

    // ---- the definitions in guest/README.md ----

    /** FNV-1a 64: h = 0xcbf29ce484222325; per byte h ^= b, h *= 0x100000001b3. */
    static long fnv1a64(byte[] b, int off, int len) {
        long h = 0xcbf29ce484222325L;
        for (int i = off; i < off + len; i++) {
            h ^= b[i] & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** x = seed ^ 0x9e3779b97f4a7c15 (1 if 0); per 8-byte word x ^= x<<13, x ^= x>>>7, x ^= x<<17, stored LE. */
    static byte[] pattern(int n, long seed) {
        byte[] out = new byte[n];
        long x = seed ^ 0x9e3779b97f4a7c15L;
        if (x == 0) x = 1;
        for (int i = 0; i + 8 <= n; i += 8) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            for (int k = 0; k < 8; k++) out[i + k] = (byte) (x >>> (8 * k));
        }
        return out;
    }

    @Test
    void definitionsMatchTheReadme() {
        // The values guest/README.md gives (the seed 7 one printed by the guest under QEMU's virtio-blk).
        assertEquals("cbf29ce484222325", hex(fnv1a64(new byte[0], 0, 0)));
        assertEquals("eb05052ea5b62325", hex(fnv1a64(new byte[XFER], 0, XFER)));
        assertEquals("bdf8251982d6c9a6", hex(fnv1a64(pattern(XFER, 7), 0, XFER)));
    }

    // ---- the runs ----

    private static String hex(long v) {
        return String.format("%016x", v);
    }

    private static byte[] knownData(int n) {
        byte[] b = new byte[n];
        new Random(0x5eed).nextBytes(b);
        return b;
    }

    private Path file(String name, byte[] content) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, content);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
        return p;
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + ":\n" + out);
    }

    private static VmConfig.Builder guest(String name) {
        return VmConfig.builder(name).boot(VmFixture.TEST_GUEST.toString()).memory(128L << 20)
                .cmdline("console=ttyS0 vmdtest=blk,poweroff vmdtest.seed=" + SEED);
    }

    /** Runs the guest to power-off and returns its console, checked for VMDTEST OK blk. */
    private static String runToPowerOff(VmConfig config) throws Exception {
        try (VmFixture f = new VmFixture()) {
            f.start(config);
            VmTerminated end = f.awaitEnd(RUN);
            String console = f.console();
            assertEquals(ExitKind.POWEROFF, end.kind(), console);
            assertTrue(console.contains("VMDTEST OK blk"), console);
            assertFalse(console.contains("VMDTEST FAIL"), console);
            return console;
        }
    }

    private static String group(String console, String regex) {
        Matcher m = Pattern.compile(regex).matcher(console);
        assertTrue(m.find(), "no line matching " + regex + " in:\n" + console);
        return m.group(1);
    }

    /** The guest's read checksum, written pattern and serial, against the host's view of the disk. */
    private static void checkReadWrite(String console, byte[] before, byte[] after, String serial) {
        assertEquals(hex(fnv1a64(before, 0, XFER)), group(console, "blk: read 0\\+128 sectors fnv1a64=([0-9a-f]{16})"), console);
        byte[] want = pattern(XFER, SEED);
        assertEquals(hex(fnv1a64(want, 0, XFER)),
                group(console, "blk: wrote " + WRITE_SECTOR + "\\+128 sectors seed " + SEED + " fnv1a64=([0-9a-f]{16})"), console);
        assertTrue(console.contains("blk: flush ok"), console);
        assertTrue(console.contains("blk: read back " + WRITE_SECTOR + "+128 sectors: match"), console);
        int at = (int) (WRITE_SECTOR * SECTOR);
        assertArrayEquals(want, Arrays.copyOfRange(after, at, at + XFER), "the pattern at sector " + WRITE_SECTOR);
        // nothing else changed
        assertArrayEquals(Arrays.copyOfRange(before, 0, at), Arrays.copyOfRange(after, 0, at));
        assertArrayEquals(Arrays.copyOfRange(before, at + XFER, before.length), Arrays.copyOfRange(after, at + XFER, after.length));
        assertEquals(serial, group(console, "blk: serial \"([^\"]*)\""), console);
    }

    @Test
    void rawDisk() throws Exception {
        byte[] before = knownData(DISK_BYTES);
        Path disk = file("disk.raw", before);
        String console = runToPowerOff(guest("blkraw").disk(disk.toString(), DiskFormat.RAW).build());
        assertTrue(console.contains("blk: 8192 sectors (4096 KiB), read-write"), console);
        checkReadWrite(console, before, Files.readAllBytes(disk), "vmd-blkraw-disk0");
    }

    @Test
    void qcow2DiskCreatedByQemuImg() throws Exception {
        Prerequisites.requireTool("/usr/bin/qemu-img");
        Path disk = dir.resolve("disk.qcow2");
        run("qemu-img", "create", "-q", "-f", "qcow2", disk.toString(), "4M");
        Files.setPosixFilePermissions(disk, PosixFilePermissions.fromString("rw-r--r--"));
        String console = runToPowerOff(guest("blkqcow").disk(disk.toString(), DiskFormat.QCOW2).build());
        checkReadWrite(console, new byte[DISK_BYTES], qcow2Contents(disk), "vmd-blkqcow-disk0");
    }

    @Test
    void qcow2DiskWithDataConvertedByQemuImg() throws Exception {
        Prerequisites.requireTool("/usr/bin/qemu-img");
        // data in the first 1 MiB only: the write at 1 MiB allocates new clusters
        byte[] before = new byte[DISK_BYTES];
        System.arraycopy(knownData(1 << 20), 0, before, 0, 1 << 20);
        Path raw = file("src.raw", before);
        Path disk = dir.resolve("disk.qcow2");
        run("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw.toString(), disk.toString());
        Files.setPosixFilePermissions(disk, PosixFilePermissions.fromString("rw-r--r--"));
        String console = runToPowerOff(guest("blkconv").disk(disk.toString(), DiskFormat.AUTO).build());
        checkReadWrite(console, before, qcow2Contents(disk), "vmd-blkconv-disk0");
    }

    /** {@code qemu-img check} passes, then the guest-visible contents via {@code qemu-img convert -O raw}. */
    private byte[] qcow2Contents(Path qcow2) throws Exception {
        run("qemu-img", "check", "-f", "qcow2", qcow2.toString());
        Path out = dir.resolve(qcow2.getFileName() + ".out.raw");
        run("qemu-img", "convert", "-f", "qcow2", "-O", "raw", qcow2.toString(), out.toString());
        return Files.readAllBytes(out);
    }

    @Test
    void cdromIsReadOnly() throws Exception {
        byte[] before = knownData(1 << 20);
        Path iso = file("cd.iso", before);
        String console = runToPowerOff(guest("blkcd").cdrom(iso.toString()).build());
        assertTrue(console.contains("blk: 2048 sectors (1024 KiB), read-only"), console);
        assertEquals(hex(fnv1a64(before, 0, XFER)), group(console, "blk: read 0\\+128 sectors fnv1a64=([0-9a-f]{16})"), console);
        assertTrue(console.contains("blk: device is read-only (VIRTIO_BLK_F_RO): write test skipped"), console);
        assertFalse(console.contains("blk: wrote"), console);
        assertEquals("vmd-blkcd-cdrom", group(console, "blk: serial \"([^\"]*)\""), console);
        assertArrayEquals(before, Files.readAllBytes(iso), "the cdrom image is unchanged");
    }

    @Test
    void diskTooSmallForTheWriteFailsCleanly() throws Exception {
        // 512 KiB: the read test reads 128 sectors, the write test at sector 2048 cannot fit
        byte[] before = knownData(512 << 10);
        Path disk = file("small.raw", before);
        try (VmFixture f = new VmFixture()) {
            f.start(guest("blksmall").disk(disk.toString(), DiskFormat.RAW).build());
            f.awaitEnd(RUN);
            String console = f.console();
            assertEquals(hex(fnv1a64(before, 0, XFER)), group(console, "blk: read 0\\+128 sectors fnv1a64=([0-9a-f]{16})"), console);
            assertTrue(console.contains("VMDTEST FAIL blk: write test needs sectors 2048+128, capacity is 1024"), console);
        }
        assertArrayEquals(before, Files.readAllBytes(disk));
    }
}
