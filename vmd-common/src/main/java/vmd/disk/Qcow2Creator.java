package vmd.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

/**
 * Creates qcow2 v3 images the way {@code vmctl create} needs them: 64 KiB clusters, 16-bit
 * refcounts, lazy refcounts off, optionally on top of a backing file whose name and format
 * are stored in the header. Layout (as qemu-img's): header, refcount table, refcount
 * block(s), L1 table.
 */
public final class Qcow2Creator {
    public static final int CLUSTER_BITS = 16;

    private Qcow2Creator() {}

    /** A new image of {@code size} bytes with no backing file. */
    public static void create(Path path, long size) throws IOException {
        try (ImageFile f = ImageFile.create(path)) {
            create(f, size, null, null, CLUSTER_BITS);
        }
    }

    /**
     * A new overlay on {@code backingName}, stored as given and resolved next to {@code path}.
     * With {@code size < 0} the overlay has the backing image's size. The backing chain is
     * checked (loops, depth, corruption) before anything is created.
     */
    public static void createOverlay(Path path, String backingName, long size) throws IOException {
        Path backing = Qcow2Chain.resolve(path, backingName);
        List<Qcow2Chain.Layer> chain = Qcow2Chain.backingPaths(backing);
        if (chain.size() > Qcow2Chain.MAX_DEPTH)
            throw new DiskFormatException(path.toString(), "backing chain deeper than " + Qcow2Chain.MAX_DEPTH);
        ImageFormat format = chain.get(0).format();
        if (size < 0) {
            try (Disk d = Qcow2Chain.open(backing, true)) {
                size = d.size();
            }
        }
        try (ImageFile f = ImageFile.create(path)) {
            create(f, size, backingName, format, CLUSTER_BITS);
        }
    }

    /** Writes a new empty image into the empty writable {@code file}. */
    public static void create(ImageFile file, long size, String backingName, ImageFormat backingFormat, int clusterBits)
            throws IOException {
        if (size < 0) throw new IllegalArgumentException("negative size " + size);
        if (clusterBits < Qcow2Header.MIN_CLUSTER_BITS || clusterBits > Qcow2Header.MAX_CLUSTER_BITS)
            throw new IllegalArgumentException("cluster_bits " + clusterBits);
        long cs = 1L << clusterBits;
        long clusters = (size + cs - 1) >>> clusterBits;
        long l2Entries = cs / 8;
        long l1Size = (clusters + l2Entries - 1) / l2Entries;
        if (l1Size * 8 > Qcow2Header.MAX_L1_BYTES) throw new IllegalArgumentException("virtual size " + size + " too large");
        long l1Clusters = (l1Size * 8 + cs - 1) / cs;
        long perBlock = cs * 8 / 16;
        long rbc = 1, rtc = 1;
        for (;;) {
            long total = 1 + rtc + rbc + l1Clusters;
            long nrbc = (total + perBlock - 1) / perBlock;
            long nrtc = (nrbc * 8 + cs - 1) / cs;
            if (nrbc == rbc && nrtc == rtc) break;
            rbc = nrbc;
            rtc = nrtc;
        }
        long total = 1 + rtc + rbc + l1Clusters;
        long rtOffset = cs, rbOffset = (1 + rtc) * cs, l1Offset = (1 + rtc + rbc) * cs;

        file.setSize(0);
        ByteBuffer header = Qcow2Header.encodeV3(clusterBits, size, (int) l1Size, l1Offset, rtOffset, (int) rtc,
                backingName, backingFormat == null ? null : backingFormat.label());
        file.writeFully(header, 0);
        ByteBuffer rt = ByteBuffer.allocate((int) (rtc * cs));
        for (long i = 0; i < rbc; i++) rt.putLong((int) (i * 8), rbOffset + i * cs);
        file.writeFully(rt, rtOffset);
        ByteBuffer rb = ByteBuffer.allocate((int) (rbc * cs));
        for (long c = 0; c < total; c++) rb.putShort((int) (c * 2), (short) 1);
        file.writeFully(rb, rbOffset);
        file.setSize(total * cs); // the L1 table: zeros
        file.sync();
    }
}
