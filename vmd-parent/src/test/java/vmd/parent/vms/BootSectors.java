package vmd.parent.vms;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import vmd.testing.Prerequisites;

/** A raw disk with guest/bootdisk/loader.S (two stages) and 15 sectors of data it checksums. */
final class BootSectors {
    static final String STAGE2_MARKER = "VMDBOOT STAGE2";
    private static final int DATA_SECTORS = 15;

    static final long DEFAULT_SEED = 0x9E3779B97F4A7C15L;

    static byte[] data() {
        return data(DEFAULT_SEED);
    }

    /** The data sectors for {@code seed}: another seed, another sum (a second bootable image). */
    static byte[] data(long seed) {
        byte[] d = new byte[DATA_SECTORS * 512];
        long x = seed;
        for (int i = 0; i < d.length; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            d[i] = (byte) x;
        }
        return d;
    }

    /** What stage 2 prints: the 16-bit sum of the data bytes, four upper-case hex digits. */
    static String expectedSum() {
        return expectedSum(DEFAULT_SEED);
    }

    static String expectedSum(long seed) {
        int sum = 0;
        for (byte b : data(seed)) sum = (sum + (b & 0xff)) & 0xffff;
        return String.format("%04X", sum);
    }

    static Path twoStageDisk(Path out) throws Exception {
        return twoStageDisk(out, DEFAULT_SEED);
    }

    static Path twoStageDisk(Path out, long seed) throws Exception {
        Path loader = VmFixture.buildRoot().resolve("guest/build/bootloader.bin");
        Prerequisites.require(Files.isReadable(loader), loader + " (built by make in guest/)");
        byte[] image = new byte[1 << 20];
        byte[] code = Files.readAllBytes(loader);
        System.arraycopy(code, 0, image, 0, code.length);
        byte[] data = data(seed);
        System.arraycopy(data, 0, image, 1024, data.length);
        Files.write(out, image);
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-r--r--"));
        return out;
    }

    private BootSectors() {}
}
