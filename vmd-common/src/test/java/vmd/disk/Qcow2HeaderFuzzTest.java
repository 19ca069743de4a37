package vmd.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Hostile qcow2 headers (coverage-guided, Jazzer). Contract: {@link Qcow2Header#read} refuses
 * a bad file with a DiskFormatException naming it, or returns a header whose every field is
 * in range and whose tables lie inside the file; never another exception, and nothing
 * allocated by a size the file states before that size is checked. Seeds: small qemu-img images.
 */
class Qcow2HeaderFuzzTest {
    private static final String NAME = "fuzz.qcow2";

    /** The input is the whole image file. */
    @FuzzTest
    void header(byte[] image) throws IOException {
        MemoryImageFile file = MemoryImageFile.of(NAME, image, false);
        Qcow2Header h;
        try {
            h = Qcow2Header.read(file);
        } catch (DiskFormatException e) {
            assertTrue(e.getMessage().startsWith(NAME + ": "), e.getMessage());
            return;
        }
        checkAccepted(h, image.length);
    }

    /** Header fields and their widths in bytes, by offset (qcow2.txt). */
    private static final int[][] FIELDS = {
        {4, 4}, {8, 8}, {16, 4}, {20, 4}, {24, 8}, {32, 4}, {36, 4}, {40, 8}, {48, 8}, {56, 4}, {60, 4},
        {64, 8}, {72, 8}, {80, 8}, {88, 8}, {96, 4}, {100, 4}, {104, 1},
    };
    private static final int[] EXTENSIONS = {
        Qcow2Header.EXT_END, Qcow2Header.EXT_BACKING_FORMAT, Qcow2Header.EXT_FEATURE_TABLE,
        Qcow2Header.EXT_DATA_FILE, Qcow2Header.EXT_CRYPTO,
    };

    /**
     * A valid image from {@link Qcow2Creator} whose header fields are then overwritten with
     * edge values (all ones, sign bit, near the cluster or file size, ...) and whose header
     * extensions are replaced by hostile ones: the overflow cases random bytes rarely hit.
     */
    @FuzzTest
    void headerFields(FuzzedDataProvider in) throws IOException {
        int clusterBits = in.consumeInt(Qcow2Header.MIN_CLUSTER_BITS, 12);
        MemoryImageFile file = new MemoryImageFile(NAME, true);
        String backing = in.consumeBoolean() ? "base.qcow2" : null;
        ImageFormat format = backing != null && in.consumeBoolean() ? ImageFormat.QCOW2 : null;
        Qcow2Creator.create(file, in.consumeLong(0, 1L << 24), backing, format, clusterBits);
        long fileSize = file.size();
        int cs = 1 << clusterBits;
        if (in.consumeBoolean()) { // hostile extensions from the end of the fixed header
            ByteBuffer ext = ByteBuffer.allocate(cs - Qcow2Header.V3_LENGTH);
            for (int i = 0, n = in.consumeInt(1, 4); i < n && ext.remaining() >= 8; i++) {
                int type = in.consumeBoolean() ? in.pickValue(EXTENSIONS) : in.consumeInt();
                int len = (int) edge(in, ext.remaining() - 8, fileSize);
                ext.putInt(type).putInt(len);
                byte[] data = in.consumeBytes(Math.max(0, Math.min(ext.remaining(), Math.min(len, 512))));
                ext.put(data);
                ext.position(Math.min(ext.limit(), (ext.position() + 7) & ~7));
            }
            file.write(ext.flip(), Qcow2Header.V3_LENGTH);
        }
        for (int i = 0, n = in.consumeInt(0, 4); i < n; i++) {
            int[] field = in.pickValue(FIELDS);
            ByteBuffer old = ByteBuffer.allocate(8);
            file.read(old.limit(field[1]), field[0]);
            long value = edge(in, field[1] == 8 ? old.getLong(0) : field[1] == 4 ? old.getInt(0) : old.get(0), fileSize);
            ByteBuffer b = ByteBuffer.allocate(field[1]);
            if (field[1] == 8) b.putLong(0, value);
            else if (field[1] == 4) b.putInt(0, (int) value);
            else b.put(0, (byte) value);
            file.write(b, field[0]);
        }
        Qcow2Header h;
        try {
            h = Qcow2Header.read(file);
        } catch (DiskFormatException e) {
            assertTrue(e.getMessage().startsWith(NAME + ": "), e.getMessage());
            return;
        }
        checkAccepted(h, file.size());
    }

    /** A value near {@code old} or one of the values that overflow careless checks. */
    private static long edge(FuzzedDataProvider in, long old, long fileSize) {
        long v = switch (in.consumeInt(0, 9)) {
            case 0 -> 0;
            case 1 -> -1;
            case 2 -> Long.MIN_VALUE;
            case 3 -> Long.MAX_VALUE;
            case 4 -> 1L << in.consumeInt(0, 63);
            case 5 -> fileSize;
            case 6 -> Integer.MAX_VALUE;
            case 7 -> Integer.MIN_VALUE;
            case 8 -> old;
            default -> in.consumeLong();
        };
        return v + (in.consumeBoolean() ? in.consumeInt(-1024, 1024) : 0);
    }

    /** What an accepted header promises the rest of the code. */
    static void checkAccepted(Qcow2Header h, long fileSize) {
        assertTrue(h.version == 2 || h.version == 3);
        assertTrue(h.clusterBits >= Qcow2Header.MIN_CLUSTER_BITS && h.clusterBits <= Qcow2Header.MAX_CLUSTER_BITS);
        long cs = h.clusterSize();
        assertTrue(h.headerLength >= Qcow2Header.V2_LENGTH && h.headerLength <= cs && h.headerLength % 8 == 0);
        assertTrue(h.refcountOrder >= 0 && h.refcountOrder <= 6);
        assertTrue(h.size >= 0);
        assertEquals(0, h.cryptMethod);
        assertEquals(0, h.compressionType);
        assertEquals(0, h.incompatibleFeatures & ~(Qcow2Header.INCOMPAT_DIRTY | Qcow2Header.INCOMPAT_CORRUPT));
        long l1Bytes = Integer.toUnsignedLong(h.l1Size) * 8;
        assertTrue(l1Bytes <= Qcow2Header.MAX_L1_BYTES && h.l1Size >= h.l1EntriesNeeded());
        if (h.l1Size > 0) inside(h.l1TableOffset, l1Bytes, cs, fileSize);
        long rtBytes = Integer.toUnsignedLong(h.refcountTableClusters) * cs;
        assertTrue(rtBytes > 0 && rtBytes <= Qcow2Header.MAX_REFTABLE_BYTES);
        inside(h.refcountTableOffset, rtBytes, cs, fileSize);
        assertTrue(Integer.toUnsignedLong(h.nbSnapshots) <= Qcow2Header.MAX_SNAPSHOTS);
        if (h.backingFile == null) {
            assertEquals(0, h.backingFileOffset);
        } else {
            assertTrue(h.backingFileOffset > 0 && h.backingFileOffset + h.backingFileSize <= cs);
            assertTrue(h.backingFile.getBytes(StandardCharsets.UTF_8).length <= 3 * Qcow2Header.MAX_BACKING_NAME);
        }
    }

    private static void inside(long offset, long length, long clusterSize, long fileSize) {
        assertTrue(offset > 0 && offset % clusterSize == 0 && offset <= fileSize - length,
                "table at " + offset + " length " + length + " in a file of " + fileSize);
    }

    /**
     * Round trip: a header {@link Qcow2Header#encodeV3} writes with valid parameters reads back
     * with the same fields; parameters that cannot be encoded are an IllegalArgumentException.
     */
    @FuzzTest
    void encodeRoundTrip(FuzzedDataProvider in) throws IOException {
        int clusterBits = in.consumeInt(Qcow2Header.MIN_CLUSTER_BITS, Qcow2Header.MAX_CLUSTER_BITS);
        int cs = 1 << clusterBits;
        long size = in.consumeBoolean() ? in.consumeLong(0, 1L << 40) : in.consumeLong(0, 64L << 20);
        long clusters = (size + cs - 1) >>> clusterBits;
        long needed = (clusters + cs / 8 - 1) / (cs / 8);
        long l1Size = needed + in.consumeInt(0, 3);
        if (l1Size * 8 > Qcow2Header.MAX_L1_BYTES) return; // QEMU's limit: the creator refuses such sizes
        int rtClusters = in.consumeInt(1, Math.max(1, (int) Math.min(8, Qcow2Header.MAX_REFTABLE_BYTES / cs)));
        long rtOffset = (long) cs * in.consumeInt(1, 4);
        long l1Offset = rtOffset + (long) rtClusters * cs + (long) cs * in.consumeInt(0, 2);
        String backing = in.consumeBoolean() ? in.consumeString(Qcow2Header.MAX_BACKING_NAME + 8) : null;
        String format = switch (in.consumeInt(0, 3)) {
            case 0 -> null;
            case 1 -> "qcow2";
            case 2 -> "raw";
            default -> in.consumeString(64);
        };
        if (backing != null && backing.isEmpty()) backing = null; // offset 0 means "no backing file"
        ByteBuffer header;
        try {
            header = Qcow2Header.encodeV3(clusterBits, size, (int) l1Size, l1Offset, rtOffset, rtClusters, backing, format);
        } catch (IllegalArgumentException tooLong) {
            return;
        }
        MemoryImageFile file = new MemoryImageFile(NAME, true);
        file.write(header, 0);
        file.setSize(Math.max(l1Offset + l1Size * 8, rtOffset + (long) rtClusters * cs));
        Qcow2Header h = Qcow2Header.read(file);
        checkAccepted(h, file.size());
        assertEquals(3, h.version);
        assertEquals(clusterBits, h.clusterBits);
        assertEquals(size, h.size);
        assertEquals(l1Size, h.l1Size);
        assertEquals(l1Offset, h.l1TableOffset);
        assertEquals(rtOffset, h.refcountTableOffset);
        assertEquals(rtClusters, h.refcountTableClusters);
        assertEquals(4, h.refcountOrder);
        assertEquals(utf8(backing), h.backingFile);
        assertEquals(utf8(format), h.backingFormat);
        if (!h.featureNames.isEmpty()) assertEquals("dirty bit", h.featureNames.get("0:0")); // left out where there is no room
    }

    private static String utf8(String s) {
        return s == null ? null : new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    }
}
