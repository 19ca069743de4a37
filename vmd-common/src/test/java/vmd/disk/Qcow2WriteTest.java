package vmd.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our writer against qemu-img: random writes (fixed seeds) go to a qcow2 image and to a raw
 * mirror; qemu-img check must find nothing and qemu-img compare must find them identical.
 */
class Qcow2WriteTest {
    static final int SIZE = 24 << 20;

    @TempDir Path dir;
    Path mirror;

    @BeforeEach
    void setUp() {
        Qemu.require();
    }

    /** Applies the same random operations to the disk and to a raw mirror file. */
    static void randomOps(Disk d, Path mirrorPath, long seed, int ops, boolean zeroesAndDiscards, int clusterSize)
            throws IOException {
        randomOps(d, mirrorPath, seed, ops, zeroesAndDiscards, clusterSize, new java.util.BitSet());
    }

    /** As above, also marking every byte an operation was issued for in {@code touched}. */
    static void randomOps(Disk d, Path mirrorPath, long seed, int ops, boolean zeroesAndDiscards, int clusterSize,
            java.util.BitSet touched) throws IOException {
        Random r = new Random(seed);
        long size = d.size();
        try (RandomAccessFile m = new RandomAccessFile(mirrorPath.toFile(), "rw")) {
            for (int i = 0; i < ops; i++) {
                int kind = zeroesAndDiscards ? r.nextInt(10) : 0;
                boolean aligned = r.nextInt(4) != 0;
                int len = aligned ? 512 * (1 + r.nextInt(r.nextInt(8) == 0 ? 2048 : 256)) : 1 + r.nextInt(300_000);
                long off = aligned ? 512L * r.nextInt((int) (size / 512)) : (long) r.nextInt((int) size);
                len = (int) Math.min(len, size - off);
                if (len == 0) continue;
                if (kind <= 6) {
                    byte[] data = new byte[len];
                    r.nextBytes(data);
                    if (r.nextInt(5) == 0) java.util.Arrays.fill(data, 0, len / 2, (byte) 0);
                    ByteBuffer b = r.nextBoolean() ? ByteBuffer.allocateDirect(len) : ByteBuffer.allocate(len);
                    b.put(data).flip();
                    touched.set((int) off, (int) off + len);
                    m.seek(off); // the mirror first: an interrupted request counts as issued
                    m.write(data);
                    d.write(off, b);
                    assertEquals(0, b.remaining());
                } else if (kind <= 8) {
                    touched.set((int) off, (int) off + len);
                    m.seek(off);
                    m.write(new byte[len]);
                    d.writeZeroes(off, len, kind == 8);
                } else {
                    // Cluster-aligned discards read back as zeros, except on a v2 overlay, where
                    // unallocating would expose the backing file and discard does nothing.
                    long cOff = (off / clusterSize) * clusterSize;
                    long cLen = Math.min(size - cOff, ((len + clusterSize - 1L) / clusterSize) * clusterSize);
                    touched.set((int) cOff, (int) (cOff + cLen));
                    boolean noop = d instanceof Qcow2Disk q && q.header().version == 2 && q.backing() != null;
                    if (!noop) {
                        m.seek(cOff);
                        m.write(new byte[(int) cLen]);
                    }
                    d.discard(cOff, cLen);
                }
                if (r.nextInt(20) == 0) d.flush();
            }
        }
    }

    private Path rawMirrorOf(Path image) {
        Path m = dir.resolve("mirror.raw");
        Qemu.img("convert", "-O", "raw", image, m);
        return m;
    }

    private void writeCheckCompare(Path image, long seed, boolean zeroes, int clusterSize) throws IOException {
        Path m = rawMirrorOf(image);
        try (Disk d = TestImages.open(image, false)) {
            randomOps(d, m, seed, 300, zeroes, clusterSize);
            byte[] expected = Files.readAllBytes(m);
            assertArrayEquals(expected, TestImages.readPieces(d, seed), "our own read-back");
        }
        Qemu.checkClean(image);
        Qemu.assertIdentical(image, "qcow2", m, "raw");
    }

    @Test
    void ourImage() throws IOException {
        Path q = dir.resolve("ours.qcow2");
        Qcow2Creator.create(q, SIZE);
        Qemu.checkClean(q);
        writeCheckCompare(q, 1, true, 65536);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "compat=1.1", "compat=0.10", "compat=1.1,cluster_size=512", "compat=1.1,cluster_size=4096,refcount_bits=1",
        "compat=1.1,refcount_bits=64", "compat=1.1,refcount_bits=8,cluster_size=1024", "compat=0.10,cluster_size=2M",
        "compat=1.1,lazy_refcounts=on", "compat=1.1,preallocation=metadata",
    })
    void qemuImages(String options) throws IOException {
        Path q = dir.resolve("qemu.qcow2");
        Qemu.img("create", "-f", "qcow2", "-o", options, q, SIZE);
        int cs = options.contains("cluster_size=512") ? 512 : options.contains("cluster_size=1024") ? 1024
                : options.contains("cluster_size=4096") ? 4096 : options.contains("2M") ? 2 << 20 : 65536;
        writeCheckCompare(q, options.hashCode(), true, cs);
    }

    @ParameterizedTest
    @ValueSource(strings = {"compat=1.1", "compat=0.10"})
    void qemuImagesWithDataAndCompressedClusters(String options) throws IOException {
        Path src = TestImages.writeRaw(dir.resolve("src.raw"), TestImages.pattern(SIZE, 5));
        Path q = dir.resolve("data.qcow2");
        Qemu.img("convert", "-c", "-O", "qcow2", "-o", options, src, q);
        writeCheckCompare(q, 77, true, 65536);
        Path q2 = dir.resolve("data2.qcow2");
        Qemu.img("convert", "-O", "qcow2", "-o", options, src, q2);
        writeCheckCompare(q2, 78, true, 65536);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ours", "qemu-v3", "qemu-v2", "raw-base"})
    void overlays(String kind) throws IOException {
        Path src = TestImages.writeRaw(dir.resolve("src.raw"), TestImages.pattern(SIZE - (1 << 20), 9));
        Path base = dir.resolve("base.qcow2");
        Path top = dir.resolve("top.qcow2");
        switch (kind) {
            case "ours" -> {
                Qemu.img("convert", "-c", "-O", "qcow2", src, base);
                Qcow2Creator.createOverlay(top, "base.qcow2", SIZE);
            }
            case "qemu-v3" -> {
                Qemu.img("convert", "-O", "qcow2", src, base);
                Qemu.img("create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", top, SIZE);
            }
            case "qemu-v2" -> {
                Qemu.img("convert", "-O", "qcow2", "-o", "compat=0.10", src, base);
                Qemu.img("create", "-f", "qcow2", "-o", "compat=0.10", "-b", "base.qcow2", "-F", "qcow2", top, SIZE);
            }
            default -> {
                Qcow2Creator.createOverlay(top, "src.raw", SIZE);
                base = src;
            }
        }
        String info = Qemu.img("info", top);
        assertTrue(info.contains("backing file: " + base.getFileName()), info);
        byte[] baseBefore = Files.readAllBytes(src);
        writeCheckCompare(top, kind.hashCode(), true, 65536);
        // The backing file is untouched.
        Path baseNow = dir.resolve("base-now.raw");
        Qemu.img("convert", "-O", "raw", base, baseNow);
        assertArrayEquals(baseBefore, Files.readAllBytes(baseNow));
    }

    @Test
    void snapshotsStayIntact() throws IOException {
        Qemu.requireIo();
        Path src = TestImages.writeRaw(dir.resolve("src.raw"), TestImages.pattern(SIZE, 11));
        Path q = dir.resolve("snap.qcow2");
        Qemu.img("convert", "-O", "qcow2", src, q);
        Qemu.img("snapshot", "-c", "before", q);
        writeCheckCompare(q, 12, true, 65536);
        Path snap = dir.resolve("snap.raw");
        Qemu.img("convert", "-O", "raw", "-l", "snapshot.name=before", q, snap);
        assertArrayEquals(Files.readAllBytes(src), Files.readAllBytes(snap), "the snapshot's data changed");
    }

    @Test
    void bigAllocationsGrowTheRefcountTable() throws IOException {
        // 512-byte clusters: one refcount block covers 128 KiB, the first table 4 MiB.
        Path q = dir.resolve("small.qcow2");
        Qemu.img("create", "-f", "qcow2", "-o", "cluster_size=512", q, 64 << 20);
        long tableBefore = refcountTableOffset(q);
        Path m = rawMirrorOf(q);
        byte[] data = new byte[1 << 20];
        new Random(3).nextBytes(data);
        try (Disk d = TestImages.open(q, false); RandomAccessFile mf = new RandomAccessFile(m.toFile(), "rw")) {
            for (long off = 0; off < (40 << 20); off += (3 << 20)) {
                d.write(off, ByteBuffer.wrap(data));
                mf.seek(off);
                mf.write(data);
            }
        }
        Qemu.checkClean(q);
        Qemu.assertIdentical(q, "qcow2", m, "raw");
        assertTrue(refcountTableOffset(q) != tableBefore, "the refcount table did not move");
    }

    private static long refcountTableOffset(Path q) throws IOException {
        try (ImageFile f = ImageFile.open(q, false)) {
            return Qcow2Header.read(f).refcountTableOffset;
        }
    }

    @Test
    void concurrentWriters() throws Exception {
        Path q = dir.resolve("conc.qcow2");
        Qcow2Creator.create(q, SIZE);
        Path m = rawMirrorOf(q);
        int threads = 4;
        long slice = SIZE / threads;
        try (Disk d = TestImages.open(q, false); RandomAccessFile mf = new RandomAccessFile(m.toFile(), "rw")) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<byte[]>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                final int id = t;
                results.add(pool.submit(() -> {
                    // Each thread owns a slice but writes straddle cluster boundaries.
                    Random r = new Random(id);
                    byte[] mine = new byte[(int) slice];
                    for (int i = 0; i < 400; i++) {
                        int len = 512 * (1 + r.nextInt(300));
                        int off = 512 * r.nextInt((int) ((slice - len) / 512));
                        byte[] data = new byte[len];
                        r.nextBytes(data);
                        d.write(id * slice + off, ByteBuffer.allocateDirect(len).put(data).flip());
                        System.arraycopy(data, 0, mine, off, len);
                        ByteBuffer back = ByteBuffer.allocate(len);
                        d.read(id * slice + off, back);
                        assertArrayEquals(data, back.array());
                        if (i % 50 == 0) d.flush();
                    }
                    return mine;
                }));
            }
            for (int t = 0; t < threads; t++) {
                mf.seek(t * slice);
                mf.write(results.get(t).get());
            }
            pool.shutdown();
        }
        Qemu.checkClean(q);
        Qemu.assertIdentical(q, "qcow2", m, "raw");
    }

    @Test
    void readOnlyAndRangeChecks() throws IOException {
        Path q = dir.resolve("ro.qcow2");
        Qcow2Creator.create(q, 1 << 20);
        try (Disk d = TestImages.open(q, true)) {
            assertTrue(d.readOnly());
            assertThrows(IOException.class, () -> d.write(0, ByteBuffer.allocate(512)));
        }
        try (Disk d = TestImages.open(q, false)) {
            assertThrows(IOException.class, () -> d.write((1 << 20) - 256, ByteBuffer.allocate(512)));
            assertThrows(IOException.class, () -> d.read(-512, ByteBuffer.allocate(512)));
            assertThrows(IOException.class, () -> d.read(Long.MAX_VALUE - 10, ByteBuffer.allocate(512)));
            d.write((1 << 20) - 512, ByteBuffer.allocate(512));
        }
        Qemu.checkClean(q);
    }
}
