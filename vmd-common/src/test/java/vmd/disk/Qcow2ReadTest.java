package vmd.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Images qemu-img and qemu-io wrote read back byte-identical to their raw equivalent. */
class Qcow2ReadTest {
    static final int SIZE = 12 << 20;

    @TempDir Path dir;
    byte[] content;
    Path raw;

    @BeforeEach
    void setUp() throws IOException {
        Qemu.require();
        content = TestImages.pattern(SIZE - 4096 + 512, 42); // not a multiple of the cluster size
        raw = TestImages.writeRaw(dir.resolve("src.raw"), content);
    }

    private void assertReadsAs(Path image, byte[] expected) throws IOException {
        try (Disk d = TestImages.open(image, true)) {
            assertEquals(expected.length, d.size());
            assertArrayEquals(expected, TestImages.readAll(d), "whole read of " + image);
            assertArrayEquals(expected, TestImages.readPieces(d, 7), "piecewise read of " + image);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "compat=1.1", "compat=0.10", "compat=1.1,cluster_size=512", "compat=1.1,cluster_size=2M",
        "compat=1.1,refcount_bits=1", "compat=1.1,refcount_bits=64", "compat=0.10,cluster_size=4096",
    })
    void convertedImagesReadBack(String options) throws IOException {
        Path q = dir.resolve("img.qcow2");
        Qemu.img("convert", "-f", "raw", "-O", "qcow2", "-o", options, raw, q);
        assertReadsAs(q, content);
    }

    @ParameterizedTest
    @ValueSource(strings = {"compat=1.1", "compat=0.10", "compat=1.1,cluster_size=4096"})
    void compressedImagesReadBack(String options) throws IOException {
        Path q = dir.resolve("img.qcow2");
        Qemu.img("convert", "-c", "-f", "raw", "-O", "qcow2", "-o", options, raw, q);
        String map = Qemu.img("map", "--output=json", q);
        System.out.println("compressed map (" + options + "): " + map.lines().count() + " extents");
        assertReadsAs(q, content);
    }

    @Test
    void zeroClustersAndQemuIoWrites() throws IOException {
        Qemu.requireIo();
        Path q = dir.resolve("img.qcow2");
        Qemu.img("convert", "-f", "raw", "-O", "qcow2", raw, q);
        Qemu.io(q, "write -z 0 1M", "write -z -u 2M 512k", "write -P 0xab 100000 70000", "write -z 5000 3000",
                "discard 6M 128k");
        Path expected = dir.resolve("expected.raw");
        Qemu.img("convert", "-O", "raw", q, expected);
        String map = Qemu.img("map", "--output=json", q);
        assertEquals(true, map.contains("\"zero\": true"), map);
        assertReadsAs(q, Files.readAllBytes(expected));
    }

    @ParameterizedTest
    @ValueSource(strings = {"qcow2", "raw", "qcow2-compressed", "qcow2-v2"})
    void overlaysReadThroughBackingFiles(String baseKind) throws IOException {
        Qemu.requireIo();
        Path base;
        String fmt;
        switch (baseKind) {
            case "raw" -> { base = raw; fmt = "raw"; }
            case "qcow2-compressed" -> {
                base = dir.resolve("base.qcow2");
                Qemu.img("convert", "-c", "-O", "qcow2", raw, base);
                fmt = "qcow2";
            }
            case "qcow2-v2" -> {
                base = dir.resolve("base.qcow2");
                Qemu.img("convert", "-O", "qcow2", "-o", "compat=0.10", raw, base);
                fmt = "qcow2";
            }
            default -> {
                base = dir.resolve("base.qcow2");
                Qemu.img("convert", "-O", "qcow2", raw, base);
                fmt = "qcow2";
            }
        }
        Path mid = dir.resolve("mid.qcow2");
        Qemu.img("create", "-f", "qcow2", "-b", base.getFileName(), "-F", fmt, mid);
        Qemu.io(mid, "write -P 0x11 4096 200000", "write -z 1M 64k", "write -z 3M 10000");
        Path top = dir.resolve("top.qcow2");
        // A bigger top: reads beyond the backing file's end are zeros.
        Qemu.img("create", "-f", "qcow2", "-o", "compat=0.10", "-b", "mid.qcow2", "-F", "qcow2", top, (SIZE + (1 << 20)));
        Qemu.io(top, "write -P 0x22 1000000 300000", "write -P 0x33 " + (SIZE - 1000) + " 5000");
        List<Qcow2Chain.Layer> chain = Qcow2Chain.backingPaths(top);
        assertEquals(3, chain.size());
        assertEquals(base, chain.get(2).path());
        assertEquals(ImageFormat.parse(fmt), chain.get(2).format());
        Path expected = dir.resolve("expected.raw");
        Qemu.img("convert", "-O", "raw", top, expected);
        assertReadsAs(top, Files.readAllBytes(expected));
    }

    @Test
    void imagesWithSnapshotsReadTheActiveState() throws IOException {
        Qemu.requireIo();
        Path q = dir.resolve("img.qcow2");
        Qemu.img("convert", "-O", "qcow2", raw, q);
        Qemu.img("snapshot", "-c", "one", q);
        Qemu.io(q, "write -P 0x44 0 300000", "write -z 4M 1M");
        Qemu.img("snapshot", "-c", "two", q);
        Qemu.io(q, "write -P 0x55 65536 4096");
        Path expected = dir.resolve("expected.raw");
        Qemu.img("convert", "-O", "raw", q, expected);
        assertReadsAs(q, Files.readAllBytes(expected));
    }

    /**
     * A request in many segments over a fragmented image with a backing file: clusters
     * allocated out of order (so host runs break), zeroed and discarded ranges, holes read
     * from the backing layer. The vectored read returns what a read per segment does.
     */
    @Test
    void segmentedReadsEqualReadsOfEachSegment() throws IOException {
        Qemu.require();
        int size = 8 << 20;
        Path base = dir.resolve("seg-base.qcow2");
        Path src = TestImages.writeRaw(dir.resolve("seg-src.raw"), TestImages.pattern(size, 3));
        Qemu.img("convert", "-O", "qcow2", src, base);
        Path top = dir.resolve("seg-top.qcow2");
        Qcow2Creator.createOverlay(top, "seg-base.qcow2", -1);
        Path mirror = dir.resolve("seg-mirror.raw");
        java.nio.file.Files.copy(src, mirror);
        try (Disk d = Qcow2Chain.open(top, false)) {
            Qcow2WriteTest.randomOps(d, mirror, 11, 80, true, 65536);
            byte[] expected = java.nio.file.Files.readAllBytes(mirror);
            java.util.Random r = new java.util.Random(5);
            for (int round = 0; round < 40; round++) {
                List<java.nio.ByteBuffer> segs = new java.util.ArrayList<>();
                int len = 0, count = 1 + r.nextInt(300);
                for (int i = 0; i < count; i++) {
                    int n = 512 * (1 + r.nextInt(16));
                    segs.add(java.nio.ByteBuffer.allocateDirect(n));
                    len += n;
                }
                long off = 512L * r.nextInt((size - len) / 512);
                d.read(off, segs);
                int at = (int) off;
                for (java.nio.ByteBuffer b : segs) {
                    assertEquals(0, b.remaining(), "every segment filled");
                    b.flip();
                    byte[] got = new byte[b.remaining()];
                    b.get(got);
                    byte[] want = java.util.Arrays.copyOfRange(expected, at, at + got.length);
                    assertArrayEquals(want, got, "round " + round + " at " + at);
                    at += got.length;
                }
            }
        }
    }
}
