package vmd.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Corrupt, truncated and hostile images: a DiskFormatException naming the file and the problem. */
class Qcow2CorruptImageTest {
    @TempDir Path dir;
    Path q;

    @BeforeEach
    void setUp() throws IOException {
        q = dir.resolve("bad.qcow2");
        Qcow2Creator.create(q, 16 << 20); // 64 KiB clusters: refcount table 0x10000, block 0x20000, L1 0x30000
    }

    private void patch(long offset, byte[] bytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(q.toFile(), "rw")) {
            f.seek(offset);
            f.write(bytes);
        }
    }

    private void patchLong(long offset, long v) throws IOException {
        patch(offset, ByteBuffer.allocate(8).putLong(v).array());
    }

    private void patchInt(long offset, int v) throws IOException {
        patch(offset, ByteBuffer.allocate(4).putInt(v).array());
    }

    private void expectOpen(String problem) {
        expect(problem, () -> TestImages.open(q, true).close());
    }

    private void expect(String problem, Executable e) {
        DiskFormatException x = assertThrows(DiskFormatException.class, e);
        assertEquals(q + ": " + problem, x.getMessage());
    }

    private void writeData() throws IOException {
        try (Disk d = TestImages.open(q, false)) {
            d.write(0, ByteBuffer.wrap(new byte[4096]));
        }
    }

    @Test
    void truncatedHeader() throws IOException {
        Files.write(q, Arrays.copyOf(Files.readAllBytes(q), 50));
        expectOpen("truncated header (file has 50 bytes, a qcow2 header needs 72)");
    }

    @Test
    void truncatedV3Header() throws IOException {
        Files.write(q, Arrays.copyOf(Files.readAllBytes(q), 90));
        expectOpen("truncated header (file has 90 bytes, a qcow2 header needs 104)");
    }

    @Test
    void truncatedTables() throws IOException {
        Files.write(q, Arrays.copyOf(Files.readAllBytes(q), 0x20000));
        expectOpen("L1 table at offset 0x30000 beyond end of file");
    }

    @Test
    void l1OffsetBeyondEof() throws IOException {
        patchLong(40, 0x10000000L);
        expectOpen("L1 table at offset 0x10000000 beyond end of file");
    }

    @Test
    void l1OffsetMisaligned() throws IOException {
        patchLong(40, 0x30200L);
        expectOpen("L1 table offset 0x30200 not aligned to a cluster");
    }

    @Test
    void l1TooSmall() throws IOException {
        patchLong(24, 1L << 40);
        expectOpen("L1 table too small for the virtual size (1 entries, need 2048)");
    }

    @Test
    void misalignedL2Offset() throws IOException {
        writeData();
        long l2 = ByteBuffer.wrap(Files.readAllBytes(q), 0x30000, 8).getLong() & Qcow2Tables.OFFSET_MASK;
        patchLong(0x30000, (l2 + 512) | Qcow2Tables.COPIED);
        expect("L2 table offset " + Qcow2Header.hex(l2 + 512) + " (L1 index 0) not aligned to a cluster", () -> {
            try (Disk d = TestImages.open(q, true)) {
                d.read(0, ByteBuffer.allocate(512));
            }
        });
    }

    @Test
    void l2BeyondEofAndDataBeyondEof() throws IOException {
        writeData();
        long l2 = ByteBuffer.wrap(Files.readAllBytes(q), 0x30000, 8).getLong() & Qcow2Tables.OFFSET_MASK;
        patchLong(l2, 0x7000000000L | Qcow2Tables.COPIED);
        expect("cluster for guest offset 0x0 at host offset 0x7000000000 beyond end of file", () -> {
            try (Disk d = TestImages.open(q, false)) {
                d.read(0, ByteBuffer.allocate(512));
            }
        });
        patchLong(0x30000, 0x7000000000L | Qcow2Tables.COPIED);
        expect("L2 table at offset 0x7000000000 (L1 index 0) beyond end of file", () -> {
            try (Disk d = TestImages.open(q, false)) {
                d.write(0, ByteBuffer.allocate(512));
            }
        });
    }

    @Test
    void dataClusterPointingAtMetadata() throws IOException {
        writeData();
        long l2 = ByteBuffer.wrap(Files.readAllBytes(q), 0x30000, 8).getLong() & Qcow2Tables.OFFSET_MASK;
        patchLong(l2 + 8, 0x20000L | Qcow2Tables.COPIED); // guest cluster 1 -> the refcount block
        byte[] before = Files.readAllBytes(q);
        expect("L2 entry for guest offset 0x10000 points at metadata cluster 0x20000", () -> {
            try (Disk d = TestImages.open(q, false)) {
                d.write(0x10000, ByteBuffer.allocate(512).put(0, (byte) 1));
            }
        });
        assertTrue(Arrays.equals(before, Files.readAllBytes(q)), "the image changed");
    }

    @Test
    void absurdRefcountTable() throws IOException {
        patchInt(56, 0x100000);
        expectOpen("refcount table too large (1048576 clusters)");
        patchInt(56, 1);
        patchLong(48, 0x10100L);
        expectOpen("refcount table offset 0x10100 not aligned to a cluster");
        patchLong(48, 0x100000000L);
        expectOpen("refcount table at offset 0x100000000 beyond end of file");
    }

    @Test
    void metadataWithRefcountZero() throws IOException {
        patch(0x20000, new byte[2]); // the header cluster's count: 0
        byte[] before = Files.readAllBytes(q);
        expect("metadata cluster at offset 0x0 has refcount 0: refusing to allocate it (repair the image with qemu-img check -r all)",
                this::writeData);
        assertTrue(Arrays.equals(before, Files.readAllBytes(q)), "the image changed");
    }

    @Test
    void refcountTableEntryWithOnlyReservedBits() throws IOException {
        // 512-byte clusters: one refcount block covers 256 clusters; the second table entry has no block.
        Path small = dir.resolve("small.qcow2");
        try (ImageFile f = ImageFile.create(small)) {
            Qcow2Creator.create(f, 1 << 20, null, null, 9);
        }
        try (RandomAccessFile f = new RandomAccessFile(small.toFile(), "rw")) {
            f.seek(512 + 8);
            f.writeLong(0x1ff);
        }
        byte[] data = TestImages.pattern(400 << 10, 3);
        try (Disk d = TestImages.open(small, false)) {
            d.write(0, ByteBuffer.wrap(data)); // needs clusters past the first block's 256
        }
        try (Disk d = TestImages.open(small, true)) {
            byte[] back = new byte[data.length];
            ByteBuffer b = ByteBuffer.wrap(back);
            d.read(0, b);
            assertTrue(Arrays.equals(data, back), "data read back differs");
        }
    }

    @Test
    void refcountBlockBeyondEof() throws IOException {
        patchLong(0x10000, 0x5550000L);
        expectOpen("refcount block at offset 0x5550000 (refcount table index 0) beyond end of file");
    }

    @Test
    void headerFieldsOutOfRange() throws IOException {
        patchInt(20, 30);
        expectOpen("cluster_bits 30 out of range (9..21)");
        patchInt(20, 16);
        patchInt(4, 4);
        expectOpen("unsupported qcow2 version 4");
        patchInt(4, 3);
        patchInt(96, 7);
        expectOpen("refcount_order 7 out of range (0..6)");
        patchInt(96, 4);
        patchInt(100, 100);
        expectOpen("header_length 100 invalid");
        patchInt(100, 112);
        patchInt(32, 2);
        expectOpen("encrypted images are not supported (crypt_method 2)");
        patchInt(32, 0);
        patchInt(16, 5000);
        patchLong(8, 0x200);
        expectOpen("backing file name too long (5000 bytes)");
    }

    @Test
    void backingNameOffsetOverflow() throws IOException {
        patchLong(8, 0x7fffffffffffff00L); // offset + size wraps negative
        patchInt(16, 0x100);
        expectOpen("backing file name at offset 0x7fffffffffffff00 outside the header cluster");
    }

    @Test
    void incompatibleFeatures() throws IOException {
        patchLong(72, 1L << 5);
        expectOpen("unknown incompatible feature bit 5");
        patchLong(72, 1L << 40);
        expectOpen("unknown incompatible feature bit 40");
        patchLong(72, 4);
        expectOpen("external data files are not supported (incompatible feature bit 2)");
        patchLong(72, 16);
        expectOpen("extended L2 entries (subclusters) are not supported (incompatible feature bit 4)");
        patchLong(72, 8);
        patch(104, new byte[] {1});
        expectOpen("zstd compression is not supported (incompatible feature bit 3, compression_type 1); "
                + "convert the image with qemu-img convert -O qcow2 -o compression_type=zlib");
    }

    @Test
    void qemuMadeUnsupportedImages() throws IOException {
        Qemu.require();
        Path ext = dir.resolve("ext.qcow2");
        Qemu.img("create", "-f", "qcow2", "-o", "extended_l2=on", ext, "1M");
        DiskFormatException e = assertThrows(DiskFormatException.class, () -> TestImages.open(ext, true));
        assertEquals(ext + ": extended L2 entries (subclusters) are not supported (incompatible feature bit 4)", e.getMessage());
        Path zstd = dir.resolve("zstd.qcow2");
        Qemu.Result r = Qemu.run(Qemu.QEMU_IMG, "create", "-f", "qcow2", "-o", "compression_type=zstd", zstd.toString(), "1M");
        if (r.exit() == 0) {
            e = assertThrows(DiskFormatException.class, () -> TestImages.open(zstd, true));
            assertTrue(e.getMessage().startsWith(zstd + ": zstd compression is not supported"), e.getMessage());
        } else {
            System.out.println("qemu-img has no zstd: " + r.output().trim());
        }
    }

    @Test
    void dirtyAndCorruptBitsRefuseWriting() throws IOException {
        patchLong(72, 1);
        TestImages.open(q, true).close(); // reading is fine
        expect("dirty bit set (incompatible feature bit 0), refcounts may be stale: "
                + "repair it with qemu-img check -r all or use it read-only", () -> TestImages.open(q, false));
        patchLong(72, 2);
        TestImages.open(q, true).close();
        expect("image is marked corrupt (incompatible feature bit 1): refusing to write; "
                + "repair it with qemu-img check -r all or use it read-only", () -> TestImages.open(q, false));
    }

    @Test
    void backingChainLoop() throws IOException {
        Qemu.require();
        Path a = dir.resolve("a.qcow2"), b = dir.resolve("b.qcow2");
        Qemu.img("create", "-f", "qcow2", b, "1M");
        Qemu.img("create", "-f", "qcow2", "-b", "b.qcow2", "-F", "qcow2", a);
        Qemu.img("rebase", "-u", "-b", "a.qcow2", "-F", "qcow2", b);
        DiskFormatException e = assertThrows(DiskFormatException.class, () -> Qcow2Chain.backingPaths(a));
        assertEquals(b + ": backing chain loops at " + a, e.getMessage());
        Qemu.img("rebase", "-u", "-b", "b.qcow2", "-F", "qcow2", b);
        e = assertThrows(DiskFormatException.class, () -> Qcow2Chain.backingPaths(a));
        assertEquals(b + ": backing chain loops at " + b, e.getMessage());
        e = assertThrows(DiskFormatException.class, () -> Qcow2Creator.createOverlay(dir.resolve("c.qcow2"), "a.qcow2", -1));
        assertEquals(b + ": backing chain loops at " + b, e.getMessage());
    }

    @Test
    void backingChainTooDeep() throws IOException {
        Path prev = dir.resolve("l0.qcow2");
        Qcow2Creator.create(prev, 1 << 20);
        for (int i = 1; i <= 16; i++) {
            Path next = dir.resolve("l" + i + ".qcow2");
            Qcow2Creator.createOverlay(next, prev.getFileName().toString(), -1);
            prev = next;
        }
        assertEquals(17, Qcow2Chain.backingPaths(prev).size()); // 16 backing files: fine
        try (Disk d = TestImages.open(prev, false)) {
            d.write(0, ByteBuffer.allocate(512));
        }
        Path deep = dir.resolve("l17.qcow2");
        String below = prev.getFileName().toString();
        DiskFormatException e = assertThrows(DiskFormatException.class, () -> Qcow2Creator.createOverlay(deep, below, -1));
        assertEquals(deep + ": backing chain deeper than 16", e.getMessage());
        assertTrue(!Files.exists(deep));
    }

    @Test
    void backingFileProblems() throws IOException {
        Qemu.require();
        Path top = dir.resolve("top.qcow2");
        Qemu.img("create", "-f", "qcow2", "-u", "-b", "missing.qcow2", "-F", "qcow2", top, "1M");
        DiskFormatException e = assertThrows(DiskFormatException.class, () -> Qcow2Chain.backingPaths(top));
        assertTrue(e.getMessage().startsWith(top + ": backing file " + dir.resolve("missing.qcow2") + " cannot be opened"), e.getMessage());
        Qemu.img("create", "-f", "qcow2", "-u", "-b", "nbd://host/x", "-F", "raw", top, "1M");
        e = assertThrows(DiskFormatException.class, () -> Qcow2Chain.backingPaths(top));
        assertEquals(top + ": backing file nbd://host/x uses a protocol, which is not supported", e.getMessage());
        // A backing file named but not handed to the device.
        Qemu.img("create", "-f", "qcow2", "-u", "-b", "bad.qcow2", "-F", "qcow2", top, "1M");
        e = assertThrows(DiskFormatException.class, () -> Qcow2Disk.open(ImageFile.open(top, false), null, true));
        assertEquals(top + ": has backing file bad.qcow2 but no backing disk was given", e.getMessage());
    }

    /** Random damage to the metadata: only IOExceptions, never anything unchecked, never a hang. */
    @Test
    void fuzzedMetadata() throws IOException {
        Qemu.require();
        Path src = TestImages.writeRaw(dir.resolve("src.raw"), TestImages.pattern(2 << 20, 1));
        Path good = dir.resolve("good.qcow2");
        Qemu.img("convert", "-c", "-O", "qcow2", "-o", "cluster_size=4096", src, good);
        byte[] image = Files.readAllBytes(good);
        Random r = new Random(1234);
        int rejected = 0, accepted = 0;
        for (int i = 0; i < 300; i++) {
            byte[] bad = image.clone();
            int flips = 1 + r.nextInt(8);
            for (int f = 0; f < flips; f++) {
                // Mostly the header and the first metadata clusters, sometimes anywhere.
                int at = r.nextInt(4) == 0 ? r.nextInt(bad.length) : r.nextInt(Math.min(bad.length, 5 * 4096));
                bad[at] = (byte) (r.nextInt(3) == 0 ? 0xff : r.nextInt(256));
            }
            Files.write(q, bad);
            try (Disk d = TestImages.open(q, false)) {
                ByteBuffer b = ByteBuffer.allocateDirect((int) Math.min(d.size(), 4 << 20));
                d.read(0, b);
                d.write(r.nextInt(1 << 20), ByteBuffer.wrap(new byte[70000]));
                d.writeZeroes(0, 8192, true);
                d.discard(1 << 20, 1 << 20);
                accepted++;
            } catch (IOException expected) {
                rejected++;
            } catch (RuntimeException | Error unexpected) {
                fail("fuzz case " + i + " threw " + unexpected, unexpected);
            }
        }
        System.out.println("fuzzed images: " + rejected + " rejected with IOException, " + accepted + " served");
    }

    private static final class Arrays {
        static byte[] copyOf(byte[] b, int n) {
            return java.util.Arrays.copyOf(b, n);
        }

        static boolean equals(byte[] a, byte[] b) {
            return java.util.Arrays.equals(a, b);
        }
    }
}
