package vmd.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.HashSet;
import java.util.Set;

/**
 * The guest-to-host cluster map: the active L1 table (whole, in memory) and L2 tables (in a
 * bounded {@link Qcow2Cache}), with entry encoding, validation and table allocation.
 *
 * <p>Ordering: an L2 table is written only after the refcounts of everything it points at and
 * the data written into those clusters are durable (the cache's hook: refcount write-back and
 * fdatasync); an L1 entry is written only after the L2 table it points at is durable
 * ({@link #writeBack}). Not thread-safe: the disk's metadata lock serializes all calls.
 */
final class Qcow2Tables {
    static final long OFFSET_MASK = 0x00fffffffffffe00L;
    static final long COPIED = 1L << 63, COMPRESSED = 1L << 62, ZERO = 1L;

    private final ImageFile file;
    private final String name;
    private final Qcow2Header header;
    private final Qcow2Refcounts refcounts;
    private final int clusterBits, clusterSize, l2Bits;
    private final long[] l1;
    private final BitSet l1Dirty = new BitSet();
    private final Qcow2Cache l2;
    private final Set<Long> l2Offsets = new HashSet<>();
    private final long fileSizeAtOpen;

    /** How many L2 tables the cache holds at most. */
    int cacheTables() {
        return l2.capacity();
    }

    Qcow2Tables(ImageFile file, Qcow2Header h, Qcow2Refcounts refcounts, int cacheTables) throws IOException {
        this.file = file;
        this.name = file.name();
        this.header = h;
        this.refcounts = refcounts;
        this.clusterBits = h.clusterBits;
        this.clusterSize = h.clusterSize();
        this.l2Bits = clusterBits - 3;
        this.fileSizeAtOpen = file.size();
        l1 = new long[h.l1Size];
        if (h.l1Size > 0) {
            ByteBuffer raw = ByteBuffer.allocate(h.l1Size * 8);
            file.readFully(raw, h.l1TableOffset);
            raw.flip().asLongBuffer().get(l1);
        }
        for (long e : l1) if ((e & OFFSET_MASK) != 0) l2Offsets.add(e & OFFSET_MASK);
        refcounts.setTableMetadata(this::isMetadata);
        l2 = new Qcow2Cache(clusterSize, cacheTables, Qcow2Cache.Io.of(file), () -> {
            refcounts.writeBack();
            file.sync();
        });
    }

    int l2Entries() {
        return 1 << l2Bits;
    }

    /** One past the last byte any valid reference may reach. */
    long fileLimit() {
        return Math.max(fileSizeAtOpen, refcounts.highWater() << clusterBits);
    }

    /** Whether the host cluster at {@code offset} is qcow2 metadata of the active image. */
    boolean isMetadata(long offset) {
        if (offset < clusterSize) return true; // the header cluster
        long l1Start = header.l1TableOffset, l1End = l1Start + (long) l1.length * 8;
        if (offset + clusterSize > l1Start && offset < l1End) return true;
        return l2Offsets.contains(offset) || refcounts.isRefcountMetadata(offset);
    }

    private long l2TableOffset(int l1Index) throws IOException {
        long off = l1[l1Index] & OFFSET_MASK;
        if (off == 0) return 0;
        if ((off & (clusterSize - 1)) != 0)
            throw new DiskFormatException(name, "L2 table offset " + Qcow2Header.hex(off) + " (L1 index " + l1Index + ") not aligned to a cluster");
        if (off > fileLimit() - clusterSize)
            throw new DiskFormatException(name, "L2 table at offset " + Qcow2Header.hex(off) + " (L1 index " + l1Index + ") beyond end of file");
        return off;
    }

    /** The raw L2 entry of guest cluster {@code gc} (0: unallocated). */
    long entry(long gc) throws IOException {
        int l1Index = (int) (gc >>> l2Bits);
        if (l1Index >= l1.length) return 0;
        long off = l2TableOffset(l1Index);
        if (off == 0) return 0;
        return getLong(l2.get(off), (int) (gc & (l2Entries() - 1)));
    }

    /** How many guest clusters from {@code gc} share its L2 table. */
    long clustersLeftInTable(long gc) {
        return l2Entries() - (gc & (l2Entries() - 1));
    }

    /**
     * Sets the L2 entry of {@code gc}, first allocating a new L2 table or copying one that is
     * shared with a snapshot (L1 entry without COPIED).
     */
    void setEntry(long gc, long entry) throws IOException {
        int l1Index = (int) (gc >>> l2Bits);
        long off = writableTable(l1Index);
        byte[] t = l2.get(off);
        putLong(t, (int) (gc & (l2Entries() - 1)), entry);
        l2.markDirty(off, t);
    }

    private long writableTable(int l1Index) throws IOException {
        long e = l1[l1Index];
        long old = l2TableOffset(l1Index);
        if (old != 0 && (e & COPIED) != 0) return old;
        long off = refcounts.allocate(1);
        byte[] t = new byte[clusterSize];
        if (old != 0) { // shared with a snapshot: copy-on-write the table
            System.arraycopy(l2.get(old), 0, t, 0, clusterSize);
            l2.drop(old);
            refcounts.free(old, clusterSize);
            l2Offsets.remove(old);
        }
        l2.put(off, t, true);
        l2Offsets.add(off);
        l1[l1Index] = off | COPIED;
        l1Dirty.set(l1Index);
        return off;
    }

    boolean hasDirty() {
        return l2.hasDirty() || !l1Dirty.isEmpty();
    }

    /**
     * Writes dirty L2 tables (after the refcount/data barrier), then, after another
     * fdatasync, the dirty L1 entries. The caller syncs afterwards.
     */
    void writeBack() throws IOException {
        l2.writeBack();
        if (l1Dirty.isEmpty()) return;
        file.sync();
        int from = l1Dirty.nextSetBit(0);
        while (from >= 0) {
            int to = l1Dirty.nextClearBit(from);
            ByteBuffer b = ByteBuffer.allocate((to - from) * 8);
            for (int i = from; i < to; i++) b.putLong(l1[i]);
            file.writeFully(b.flip(), header.l1TableOffset + (long) from * 8);
            from = l1Dirty.nextSetBit(to);
        }
        l1Dirty.clear();
    }

    private static long getLong(byte[] t, int i) {
        return ByteBuffer.wrap(t).getLong(i * 8);
    }

    private static void putLong(byte[] t, int i, long v) {
        ByteBuffer.wrap(t).putLong(i * 8, v);
    }
}
