package vmd.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** vmctl create: new images, overlays and conversions that qemu-img accepts. */
class CreatorTest {
    @TempDir Path dir;

    @BeforeEach
    void setUp() {
        Qemu.require();
    }

    @Test
    void newQcow2Image() throws IOException {
        Path q = dir.resolve("new.qcow2");
        Qcow2Creator.create(q, 10L << 30);
        Qemu.checkClean(q);
        String info = Qemu.img("info", q);
        assertTrue(info.contains("virtual size: 10 GiB"), info);
        assertTrue(info.contains("cluster_size: 65536"), info);
        assertTrue(info.contains("compat: 1.1"), info);
        assertTrue(info.contains("lazy refcounts: false"), info);
        assertTrue(info.contains("refcount bits: 16"), info);
        assertTrue(Files.size(q) <= 4 * 65536, "size " + Files.size(q));
        Qcow2Header h;
        try (ImageFile f = ImageFile.open(q, false)) {
            h = Qcow2Header.read(f);
        }
        assertEquals(3, h.version);
        assertEquals(16, h.clusterBits);
        assertEquals(10L << 30, h.size);
    }

    @Test
    void smallClustersWithBackingFile() throws IOException {
        // 512-byte clusters leave no room for the feature name table next to a backing format and name.
        Path q = dir.resolve("small.qcow2");
        try (ImageFile f = ImageFile.create(q)) {
            Qcow2Creator.create(f, 1 << 20, "base.qcow2", ImageFormat.QCOW2, 9);
        }
        Qcow2Header h;
        try (ImageFile f = ImageFile.open(q, false)) {
            h = Qcow2Header.read(f);
        }
        assertEquals("base.qcow2", h.backingFile);
        assertEquals("qcow2", h.backingFormat);
        assertTrue(h.featureNames.isEmpty());
        assertTrue(Qemu.img("info", "-U", q).contains("backing file: base.qcow2"));
    }

    @Test
    void hugeAndOddSizes() throws IOException {
        for (long size : new long[] {0, 512, 65536 * 3 + 512, 4L << 40}) {
            Path q = dir.resolve("s" + size + ".qcow2");
            Qcow2Creator.create(q, size);
            Qemu.checkClean(q);
            try (Disk d = TestImages.open(q, false)) {
                assertEquals(size, d.size());
                if (size > 0) d.write(size - 512, ByteBuffer.allocate(512).put(0, (byte) 7));
            }
            Qemu.checkClean(q);
        }
    }

    @Test
    void overlayStoresBackingNameAndFormat() throws IOException {
        Path base = dir.resolve("base.raw");
        RawCreator.create(base, 3 << 20);
        assertEquals(3 << 20, Files.size(base));
        Path top = dir.resolve("top.qcow2");
        Qcow2Creator.createOverlay(top, "base.raw", -1);
        Qemu.checkClean(top);
        String info = Qemu.img("info", top);
        assertTrue(info.contains("backing file: base.raw"), info);
        assertTrue(info.contains("backing file format: raw"), info);
        assertTrue(info.contains("virtual size: 3 MiB"), info);
        Path top2 = dir.resolve("sub/top2.qcow2");
        Files.createDirectories(top2.getParent());
        Qcow2Creator.createOverlay(top2, "../top.qcow2", 5 << 20);
        List<Qcow2Chain.Layer> chain = Qcow2Chain.backingPaths(top2);
        assertEquals(List.of(new Qcow2Chain.Layer(top2, ImageFormat.QCOW2),
                new Qcow2Chain.Layer(dir.resolve("sub/../top.qcow2"), ImageFormat.QCOW2),
                new Qcow2Chain.Layer(dir.resolve("sub/../base.raw"), ImageFormat.RAW)), chain);
        Qemu.checkClean(top2);
        assertTrue(Qemu.img("info", "--backing-chain", top2).contains("base.raw"));
    }

    @Test
    void convertAnyDiskToQcow2AndRaw() throws IOException {
        byte[] content = TestImages.pattern(6 << 20, 3);
        Path src = TestImages.writeRaw(dir.resolve("src.raw"), content);
        Path compressed = dir.resolve("c.qcow2");
        Qemu.img("convert", "-c", "-O", "qcow2", src, compressed);
        for (ImageFormat out : ImageFormat.values()) {
            Path dst = dir.resolve("out." + out.label());
            try (Disk in = TestImages.open(compressed, true)) {
                ImageConverter.convert(in, dst, out, -1);
            }
            if (out == ImageFormat.QCOW2) Qemu.checkClean(dst);
            Qemu.assertIdentical(dst, out.label(), src, "raw");
            try (Disk d = TestImages.open(dst, true)) {
                assertArrayEquals(content, TestImages.readAll(d));
            }
        }
        // Growing while converting (vmctl create -i in -s bigger).
        Path big = dir.resolve("big.qcow2");
        try (Disk in = TestImages.open(src, true)) {
            ImageConverter.convert(in, big, ImageFormat.QCOW2, 8 << 20);
        }
        Qemu.checkClean(big);
        assertTrue(Qemu.img("info", big).contains("virtual size: 8 MiB"));
        long allocated = Files.size(big);
        assertTrue(allocated < content.length, "zero pieces were written: " + allocated);
    }

    @Test
    void formatDetection() throws IOException {
        Path q = dir.resolve("d.qcow2");
        Qcow2Creator.create(q, 1 << 20);
        Path r = dir.resolve("d.raw");
        RawCreator.create(r, 1 << 20);
        Path empty = dir.resolve("empty");
        Files.write(empty, new byte[0]);
        try (ImageFile a = ImageFile.open(q, false); ImageFile b = ImageFile.open(r, false); ImageFile c = ImageFile.open(empty, false)) {
            assertEquals(ImageFormat.QCOW2, ImageFormat.detect(a));
            assertEquals(ImageFormat.RAW, ImageFormat.detect(b));
            assertEquals(ImageFormat.RAW, ImageFormat.detect(c));
        }
        assertEquals(ImageFormat.QCOW2, ImageFormat.parse("QCOW2"));
    }
}
