package vmd.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The qcow2 header (versions 2 and 3) and its extensions, parsed and checked against the
 * file's size (QEMU docs/interop/qcow2.txt). Everything an implementation may not ignore is
 * refused here with a {@link DiskFormatException} naming the image and the problem.
 */
public final class Qcow2Header {
    public static final int MAGIC = ImageFormat.QCOW2_MAGIC;
    public static final int V2_LENGTH = 72, V3_MIN_LENGTH = 104, V3_LENGTH = 112;
    public static final int MIN_CLUSTER_BITS = 9, MAX_CLUSTER_BITS = 21;
    /** QEMU's implementation limits. */
    public static final long MAX_L1_BYTES = 32L << 20, MAX_REFTABLE_BYTES = 8L << 20;
    public static final int MAX_BACKING_NAME = 1023, MAX_SNAPSHOTS = 65536;

    // Field offsets that are rewritten in place.
    static final int OFF_REFCOUNT_TABLE = 48, OFF_INCOMPATIBLE = 72, OFF_AUTOCLEAR = 88;

    public static final long INCOMPAT_DIRTY = 1, INCOMPAT_CORRUPT = 2, INCOMPAT_DATA_FILE = 4,
            INCOMPAT_COMPRESSION = 8, INCOMPAT_EXTL2 = 16;
    public static final long KNOWN_INCOMPAT = 0x1f;
    public static final long COMPAT_LAZY_REFCOUNTS = 1;

    static final int EXT_END = 0, EXT_BACKING_FORMAT = 0xe2792aca, EXT_FEATURE_TABLE = 0x6803f857,
            EXT_DATA_FILE = 0x44415441, EXT_CRYPTO = 0x0537be77;

    public final String image;
    public final int version;
    public final long backingFileOffset;
    public final int backingFileSize;
    public final int clusterBits;
    public final long size;
    public final int cryptMethod;
    public final int l1Size;
    public final long l1TableOffset;
    public final long refcountTableOffset;
    public final int refcountTableClusters;
    public final int nbSnapshots;
    public final long snapshotsOffset;
    public final long incompatibleFeatures;
    public final long compatibleFeatures;
    public final long autoclearFeatures;
    public final int refcountOrder;
    public final int headerLength;
    public final int compressionType;
    /** From the header: null without a backing file. */
    public final String backingFile;
    /** From the backing-format extension: null if absent. */
    public final String backingFormat;
    /** Feature names from the feature name table, keyed "type:bit" (type 0 incompatible). */
    public final Map<String, String> featureNames;

    private Qcow2Header(String image, ByteBuffer h, long fileSize) throws IOException {
        this.image = image;
        version = h.getInt(4);
        backingFileOffset = h.getLong(8);
        backingFileSize = h.getInt(16);
        clusterBits = h.getInt(20);
        size = h.getLong(24);
        cryptMethod = h.getInt(32);
        l1Size = h.getInt(36);
        l1TableOffset = h.getLong(40);
        refcountTableOffset = h.getLong(48);
        refcountTableClusters = h.getInt(56);
        nbSnapshots = h.getInt(60);
        snapshotsOffset = h.getLong(64);
        if (version >= 3) {
            incompatibleFeatures = h.getLong(72);
            compatibleFeatures = h.getLong(80);
            autoclearFeatures = h.getLong(88);
            refcountOrder = h.getInt(96);
            headerLength = h.getInt(100);
        } else {
            incompatibleFeatures = 0;
            compatibleFeatures = 0;
            autoclearFeatures = 0;
            refcountOrder = 4;
            headerLength = V2_LENGTH;
        }
        compressionType = headerLength > 104 && h.limit() > 104 ? h.get(104) & 0xff : 0;
        featureNames = new HashMap<>();
        String[] ext = new String[1];
        checkFields(fileSize);
        parseExtensions(h, ext);
        backingFormat = ext[0];
        backingFile = readBackingName(h);
        checkFeatures();
        checkTables(fileSize);
    }

    /** Reads and checks the header of {@code file}. */
    public static Qcow2Header read(ImageFile file) throws IOException {
        String name = file.name();
        long fileSize = file.size();
        ByteBuffer first = ByteBuffer.allocate(V3_MIN_LENGTH);
        int n = file.readUpTo(first, 0);
        if (n < 4 || first.getInt(0) != MAGIC) throw new DiskFormatException(name, "not a qcow2 image (bad magic)");
        if (n < V2_LENGTH) throw truncated(name, n, V2_LENGTH);
        int version = first.getInt(4);
        if (version != 2 && version != 3)
            throw new DiskFormatException(name, "unsupported qcow2 version " + Integer.toUnsignedString(version));
        if (version == 3 && n < V3_MIN_LENGTH) throw truncated(name, n, V3_MIN_LENGTH);
        int clusterBits = first.getInt(20);
        if (clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS)
            throw new DiskFormatException(name, "cluster_bits " + Integer.toUnsignedString(clusterBits)
                    + " out of range (" + MIN_CLUSTER_BITS + ".." + MAX_CLUSTER_BITS + ")");
        int clusterSize = 1 << clusterBits;
        // Header, extensions and the backing file name all live in the first cluster.
        ByteBuffer h = ByteBuffer.allocate(clusterSize);
        file.readUpTo(h, 0);
        h.clear();
        return new Qcow2Header(name, h, fileSize);
    }

    private static DiskFormatException truncated(String name, long have, int need) {
        return new DiskFormatException(name, "truncated header (file has " + have + " bytes, a qcow2 header needs " + need + ")");
    }

    private DiskFormatException bad(String problem) {
        return new DiskFormatException(image, problem);
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    public int clusterSize() {
        return 1 << clusterBits;
    }

    /** Entries per L2 table. */
    public int l2Entries() {
        return clusterSize() / 8;
    }

    public int refcountBits() {
        return 1 << refcountOrder;
    }

    /** L1 entries needed to map {@link #size}. */
    public long l1EntriesNeeded() {
        long clusters = (size + clusterSize() - 1) >>> clusterBits;
        return (clusters + l2Entries() - 1) / l2Entries();
    }

    public boolean dirty() {
        return (incompatibleFeatures & INCOMPAT_DIRTY) != 0;
    }

    public boolean corrupt() {
        return (incompatibleFeatures & INCOMPAT_CORRUPT) != 0;
    }

    private void checkFields(long fileSize) throws IOException {
        int cs = clusterSize();
        if (version >= 3 && (headerLength < V3_MIN_LENGTH || headerLength % 8 != 0 || headerLength > cs))
            throw bad("header_length " + Integer.toUnsignedString(headerLength) + " invalid");
        if (refcountOrder < 0 || refcountOrder > 6)
            throw bad("refcount_order " + Integer.toUnsignedString(refcountOrder) + " out of range (0..6)");
        if (size < 0) throw bad("virtual size " + Long.toUnsignedString(size) + " too large");
        if (cryptMethod != 0)
            throw bad("encrypted images are not supported (crypt_method " + Integer.toUnsignedString(cryptMethod) + ")");
    }

    private void parseExtensions(ByteBuffer h, String[] backingFormatOut) throws IOException {
        int cs = clusterSize();
        int end = backingFileOffset > 0 && backingFileOffset < cs ? (int) backingFileOffset : cs;
        int p = headerLength;
        boolean sawBackingFormat = false;
        while (p + 8 <= end) {
            int type = h.getInt(p);
            long len = Integer.toUnsignedLong(h.getInt(p + 4));
            if (type == EXT_END) break;
            if (p + 8 + len > end)
                throw bad("header extension " + hex(Integer.toUnsignedLong(type)) + " overruns the header cluster");
            int data = p + 8;
            switch (type) {
                case EXT_BACKING_FORMAT -> {
                    if (sawBackingFormat) throw bad("duplicate backing format header extension");
                    sawBackingFormat = true;
                    backingFormatOut[0] = string(h, data, (int) len);
                }
                case EXT_FEATURE_TABLE -> {
                    for (int e = data; e + 48 <= data + len; e += 48) {
                        int kind = h.get(e) & 0xff;
                        int bit = h.get(e + 1) & 0xff;
                        int nameLen = 0;
                        while (nameLen < 46 && h.get(e + 2 + nameLen) != 0) nameLen++;
                        featureNames.put(kind + ":" + bit, string(h, e + 2, nameLen));
                    }
                }
                default -> { } // unknown extensions can be safely ignored
            }
            p = data + (int) ((len + 7) & ~7L);
        }
    }

    private static String string(ByteBuffer h, int at, int len) {
        byte[] b = new byte[len];
        h.get(at, b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private String readBackingName(ByteBuffer h) throws IOException {
        if (backingFileOffset == 0) return null;
        if (Integer.compareUnsigned(backingFileSize, MAX_BACKING_NAME) > 0)
            throw bad("backing file name too long (" + Integer.toUnsignedString(backingFileSize) + " bytes)");
        // Subtract, not add: offset + size overflows for an offset near Long.MAX_VALUE.
        if (backingFileOffset < 0 || backingFileOffset > clusterSize() - backingFileSize)
            throw bad("backing file name at offset " + hex(backingFileOffset) + " outside the header cluster");
        return string(h, (int) backingFileOffset, backingFileSize);
    }

    private String featureName(int bit) {
        String n = featureNames.get("0:" + bit);
        return n == null || n.isEmpty() ? "" : " (" + n + ")";
    }

    private void checkFeatures() throws IOException {
        long unknown = incompatibleFeatures & ~KNOWN_INCOMPAT;
        if (unknown != 0) {
            int bit = Long.numberOfTrailingZeros(unknown);
            throw bad("unknown incompatible feature bit " + bit + featureName(bit));
        }
        if ((incompatibleFeatures & INCOMPAT_DATA_FILE) != 0)
            throw bad("external data files are not supported (incompatible feature bit 2)");
        if ((incompatibleFeatures & INCOMPAT_COMPRESSION) != 0) {
            if (compressionType == 1)
                throw bad("zstd compression is not supported (incompatible feature bit 3, compression_type 1); "
                        + "convert the image with qemu-img convert -O qcow2 -o compression_type=zlib");
            throw bad("unsupported compression_type " + compressionType + " (incompatible feature bit 3)");
        }
        if (compressionType != 0) throw bad("compression_type " + compressionType + " set without incompatible feature bit 3");
        if ((incompatibleFeatures & INCOMPAT_EXTL2) != 0)
            throw bad("extended L2 entries (subclusters) are not supported (incompatible feature bit 4)");
    }

    private void checkTables(long fileSize) throws IOException {
        int cs = clusterSize();
        long mask = cs - 1;
        long l1Bytes = Integer.toUnsignedLong(l1Size) * 8;
        if (l1Bytes > MAX_L1_BYTES) throw bad("L1 table too large (" + Integer.toUnsignedString(l1Size) + " entries)");
        if (l1Size < l1EntriesNeeded())
            throw bad("L1 table too small for the virtual size (" + l1Size + " entries, need " + l1EntriesNeeded() + ")");
        if (l1Size > 0) {
            if ((l1TableOffset & mask) != 0) throw bad("L1 table offset " + hex(l1TableOffset) + " not aligned to a cluster");
            if (l1TableOffset <= 0 || l1TableOffset > fileSize - l1Bytes)
                throw bad("L1 table at offset " + hex(l1TableOffset) + " beyond end of file");
        }
        long rtClusters = Integer.toUnsignedLong(refcountTableClusters);
        if (rtClusters == 0) throw bad("refcount table is empty");
        if (rtClusters * cs > MAX_REFTABLE_BYTES)
            throw bad("refcount table too large (" + rtClusters + " clusters)");
        if ((refcountTableOffset & mask) != 0)
            throw bad("refcount table offset " + hex(refcountTableOffset) + " not aligned to a cluster");
        if (refcountTableOffset <= 0 || refcountTableOffset > fileSize - rtClusters * cs)
            throw bad("refcount table at offset " + hex(refcountTableOffset) + " beyond end of file");
        if (Integer.toUnsignedLong(nbSnapshots) > MAX_SNAPSHOTS)
            throw bad("too many snapshots (" + Integer.toUnsignedString(nbSnapshots) + ")");
        if (nbSnapshots > 0 && ((snapshotsOffset & mask) != 0 || snapshotsOffset <= 0 || snapshotsOffset >= fileSize))
            throw bad("snapshot table offset " + hex(snapshotsOffset) + " invalid");
    }

    /** Encodes a fresh v3 header (with extensions and backing name) into a cluster-sized buffer. */
    static ByteBuffer encodeV3(int clusterBits, long size, int l1Size, long l1Offset, long refTableOffset,
            int refTableClusters, String backingFile, String backingFormat) {
        int cs = 1 << clusterBits;
        byte[] format = backingFormat == null ? null : backingFormat.getBytes(StandardCharsets.UTF_8);
        byte[] name = backingFile == null ? null : backingFile.getBytes(StandardCharsets.UTF_8);
        byte[] features = featureTable();
        long needed = V3_LENGTH + (format == null ? 0 : extensionLength(format.length)) + 8 + (name == null ? 0 : name.length);
        if ((name != null && name.length > MAX_BACKING_NAME) || needed > cs)
            throw new IllegalArgumentException("backing file name or format too long for a " + cs + "-byte cluster: " + backingFile);
        // The feature name table is optional: left out where a small cluster has no room (as QEMU does).
        boolean withFeatures = needed + extensionLength(features.length) <= cs;
        ByteBuffer h = ByteBuffer.allocate(cs);
        h.putInt(0, MAGIC).putInt(4, 3);
        h.putInt(20, clusterBits).putLong(24, size).putInt(32, 0).putInt(36, l1Size).putLong(40, l1Offset);
        h.putLong(48, refTableOffset).putInt(56, refTableClusters).putInt(60, 0).putLong(64, 0);
        h.putLong(72, 0).putLong(80, 0).putLong(88, 0).putInt(96, 4).putInt(100, V3_LENGTH);
        h.position(V3_LENGTH); // byte 104: compression_type 0 (zlib), then padding
        if (format != null) putExtension(h, EXT_BACKING_FORMAT, format);
        if (withFeatures) putExtension(h, EXT_FEATURE_TABLE, features);
        h.putInt(EXT_END).putInt(0);
        if (name != null) {
            h.putLong(8, h.position()).putInt(16, name.length);
            h.put(name);
        }
        return h.clear();
    }

    /** Bytes an extension with {@code dataLength} bytes of data takes: its 8-byte head, the data, padding. */
    private static long extensionLength(int dataLength) {
        return 8 + ((dataLength + 7L) & ~7L);
    }

    private static void putExtension(ByteBuffer h, int type, byte[] data) {
        h.putInt(type).putInt(data.length).put(data);
        h.position((h.position() + 7) & ~7);
    }

    private static byte[] featureTable() {
        Object[][] features = {
            {0, 0, "dirty bit"}, {0, 1, "corrupt bit"}, {0, 2, "external data file"},
            {0, 3, "compression type"}, {0, 4, "extended L2 entries"},
            {1, 0, "lazy refcounts"}, {2, 0, "bitmaps"}, {2, 1, "raw external data"},
        };
        ByteBuffer b = ByteBuffer.allocate(48 * features.length);
        for (Object[] f : features) {
            int at = b.position();
            b.put((byte) (int) (Integer) f[0]).put((byte) (int) (Integer) f[1]);
            b.put(((String) f[2]).getBytes(StandardCharsets.US_ASCII));
            b.position(at + 48);
        }
        return b.array();
    }
}
