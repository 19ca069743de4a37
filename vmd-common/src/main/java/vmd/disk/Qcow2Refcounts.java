package vmd.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongPredicate;

/**
 * Host cluster management: the refcount table (kept whole in memory), refcount blocks (in a
 * {@link Qcow2Cache}), any refcount width from 1 to 64 bits, and cluster allocation.
 *
 * <p>Crash safety. Increments may reach the disk at any time (at worst a leak). A new refcount
 * block is written and synced before the table entry that points at it; a grown refcount table
 * and its blocks are written and synced before the header points at it. Decrements are queued
 * with {@link #free} and applied by {@link #applyPendingFrees} only once the metadata that
 * stopped referencing the clusters is durable, and a cluster freed during this session is never
 * handed out again before the image is reopened, so no stale reference can see reused data.
 * Not thread-safe: the disk's metadata lock serializes all calls.
 */
final class Qcow2Refcounts {
    private static final long ENTRY_OFFSET_MASK = ~0x1ffL;

    private final ImageFile file;
    private final String name;
    private final int clusterBits;
    private final int clusterSize;
    private final int order;
    private final long maxRefcount;
    private final int blockBits; // log2(entries per refcount block)
    private final Qcow2Cache blocks;

    private long[] table;
    private long tableOffset;
    private int tableClusters;
    private final Set<Long> blockOffsets = new HashSet<>();
    /** Lowest cluster index that may be free. */
    private long cursor;
    /** One past the highest cluster index in use or allocated. */
    private long highWater;
    private long reservedStart = -1, reservedEnd = -1;
    private final Set<Long> reservedExtra = new HashSet<>();
    private final Set<Long> freedThisSession = new HashSet<>();
    private final List<long[]> pendingFrees = new ArrayList<>();
    /** The L1 and L2 tables' clusters (set by Qcow2Tables), which allocation must never hand out. */
    private LongPredicate tableMetadata = offset -> false;

    Qcow2Refcounts(ImageFile file, Qcow2Header h, int cacheTables) throws IOException {
        this.file = file;
        this.name = file.name();
        this.clusterBits = h.clusterBits;
        this.clusterSize = h.clusterSize();
        this.order = h.refcountOrder;
        this.maxRefcount = order == 6 ? Long.MAX_VALUE : (1L << (1 << order)) - 1;
        this.blockBits = clusterBits + 3 - order;
        this.tableOffset = h.refcountTableOffset;
        this.tableClusters = h.refcountTableClusters;
        ByteBuffer raw = ByteBuffer.allocate(tableClusters * clusterSize);
        file.readFully(raw, tableOffset);
        table = new long[tableClusters * clusterSize / 8];
        raw.flip().asLongBuffer().get(table);
        long fileSize = file.size();
        for (int i = 0; i < table.length; i++) {
            long off = table[i] & ENTRY_OFFSET_MASK;
            if (off == 0) continue;
            if ((off & (clusterSize - 1)) != 0)
                throw new DiskFormatException(name, "refcount block offset " + Qcow2Header.hex(off) + " (refcount table index " + i + ") not aligned to a cluster");
            if (off > fileSize - clusterSize)
                throw new DiskFormatException(name, "refcount block at offset " + Qcow2Header.hex(off) + " (refcount table index " + i + ") beyond end of file");
            blockOffsets.add(off);
        }
        highWater = (fileSize + clusterSize - 1) >>> clusterBits;
        blocks = new Qcow2Cache(clusterSize, cacheTables, Qcow2Cache.Io.of(file), () -> { });
    }

    long entriesPerBlock() {
        return 1L << blockBits;
    }

    /** Whether the cluster at {@code offset} holds refcount metadata (table or a block). */
    boolean isRefcountMetadata(long offset) {
        long tableEnd = tableOffset + (long) tableClusters * clusterSize;
        return (offset >= tableOffset && offset < tableEnd) || blockOffsets.contains(offset);
    }

    void setTableMetadata(LongPredicate isTableMetadata) {
        tableMetadata = isTableMetadata;
    }

    long highWater() {
        return highWater;
    }

    // --- refcount entries of any width ---

    private long getEntry(byte[] b, long index) {
        int i = (int) index;
        switch (order) {
            case 3: return b[i] & 0xffL;
            case 4: return ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
            case 5: return ByteBuffer.wrap(b).getInt(4 * i) & 0xffffffffL;
            case 6: return ByteBuffer.wrap(b).getLong(8 * i);
            default: {
                int bits = 1 << order;
                int bitPos = i << order;
                return (b[bitPos >>> 3] >>> (bitPos & 7)) & ((1 << bits) - 1);
            }
        }
    }

    private void setEntry(byte[] b, long index, long v) {
        int i = (int) index;
        switch (order) {
            case 3 -> b[i] = (byte) v;
            case 4 -> { b[2 * i] = (byte) (v >>> 8); b[2 * i + 1] = (byte) v; }
            case 5 -> ByteBuffer.wrap(b).putInt(4 * i, (int) v);
            case 6 -> ByteBuffer.wrap(b).putLong(8 * i, v);
            default -> {
                int bits = 1 << order;
                int bitPos = i << order;
                int mask = ((1 << bits) - 1) << (bitPos & 7);
                b[bitPos >>> 3] = (byte) ((b[bitPos >>> 3] & ~mask) | (((int) v << (bitPos & 7)) & mask));
            }
        }
    }

    /** The refcount of host cluster {@code index} (0 where no block exists). */
    long refcount(long index) throws IOException {
        long ti = index >>> blockBits;
        if (ti >= table.length) return 0;
        long off = table[(int) ti] & ENTRY_OFFSET_MASK;
        if (off == 0) return 0;
        return getEntry(blocks.get(off), index & (entriesPerBlock() - 1));
    }

    private boolean isFree(long index) throws IOException {
        if (index >= reservedStart && index < reservedEnd) return false;
        if (reservedExtra.contains(index) || freedThisSession.contains(index)) return false;
        return refcount(index) == 0;
    }

    /** First run of {@code n} free clusters at or after the cursor; advances the cursor. */
    private long findFree(int n) throws IOException {
        long firstFree = -1, runStart = -1;
        for (long idx = cursor; ; idx++) {
            // Beyond the table's coverage everything is free; inside it, ask the blocks (a crash
            // may have left refcounted clusters beyond the end of the file).
            if (isFree(idx)) {
                // A corrupt count of 0 on metadata would have us write data over the header or a table.
                long off = idx << clusterBits;
                if (idx == 0 || isRefcountMetadata(off) || tableMetadata.test(off))
                    throw new DiskFormatException(name, "metadata cluster at offset " + Qcow2Header.hex(off)
                            + " has refcount 0: refusing to allocate it (repair the image with qemu-img check -r all)");
                if (firstFree < 0) firstFree = idx;
                if (runStart < 0) runStart = idx;
                if (idx - runStart + 1 == n) break;
            } else {
                runStart = -1;
            }
        }
        cursor = firstFree == runStart ? runStart + n : firstFree;
        highWater = Math.max(highWater, runStart + n);
        return runStart;
    }

    /** Allocates {@code n} contiguous clusters with refcount 1; returns the host offset. */
    long allocate(int n) throws IOException {
        long start = findFree(n);
        reservedStart = start;
        reservedEnd = start + n;
        try {
            for (long i = 0; i < n; i++) add(start + i, 1);
        } finally {
            reservedStart = reservedEnd = -1;
        }
        return start << clusterBits;
    }

    /** Increments the refcounts of the clusters covering a host byte range (snapshot sharing). */
    void increment(long offset, long length) throws IOException {
        for (long idx = offset >>> clusterBits; idx <= (offset + length - 1) >>> clusterBits; idx++) add(idx, 1);
    }

    /** Queues a decrement for every cluster touched by {@code [offset, offset+length)}. */
    void free(long offset, long length) {
        if (length > 0) pendingFrees.add(new long[] {offset, length});
    }

    boolean hasPendingFrees() {
        return !pendingFrees.isEmpty();
    }

    /**
     * Applies queued decrements; call only after the metadata that dropped the references is
     * durable. Returns the host offsets of clusters whose refcount reached zero.
     */
    List<Long> applyPendingFrees() throws IOException {
        List<Long> zeroed = new ArrayList<>();
        List<long[]> todo = new ArrayList<>(pendingFrees);
        pendingFrees.clear();
        for (long[] f : todo) {
            for (long idx = f[0] >>> clusterBits; idx <= (f[0] + f[1] - 1) >>> clusterBits; idx++) {
                if (refcount(idx) == 0) continue; // already free: a corrupt count, leave it
                if (add(idx, -1) == 0) zeroed.add(idx << clusterBits);
            }
        }
        return zeroed;
    }

    private long add(long index, long delta) throws IOException {
        long ti = index >>> blockBits;
        long off = ensureBlock(ti);
        byte[] b = blocks.get(off);
        long i = index & (entriesPerBlock() - 1);
        long v = getEntry(b, i) + delta;
        if (v < 0 || v > maxRefcount)
            throw new DiskFormatException(name, "refcount of cluster " + Qcow2Header.hex(index << clusterBits)
                    + (v < 0 ? " would drop below zero" : " would exceed " + maxRefcount));
        setEntry(b, i, v);
        blocks.markDirty(off, b);
        if (v == 0) freedThisSession.add(index);
        highWater = Math.max(highWater, index + 1);
        return v;
    }

    /** The offset of refcount block {@code ti}, allocating (and growing the table) as needed. */
    private long ensureBlock(long ti) throws IOException {
        // Test the offset, not the entry: an entry with only reserved bits set has no block (refcount() reads 0).
        if (ti < table.length && (table[(int) ti] & ENTRY_OFFSET_MASK) != 0) return table[(int) ti] & ENTRY_OFFSET_MASK;
        if (ti >= table.length) growTable(ti + 1);
        if ((table[(int) ti] & ENTRY_OFFSET_MASK) != 0) return table[(int) ti] & ENTRY_OFFSET_MASK;
        long c = findFree(1);
        byte[] block = new byte[clusterSize];
        if ((c >>> blockBits) == ti) {
            setEntry(block, c & (entriesPerBlock() - 1), 1); // the block describes itself
        } else {
            reservedExtra.add(c);
            try {
                add(c, 1);
            } finally {
                reservedExtra.remove(c);
            }
        }
        long off = c << clusterBits;
        file.writeFully(ByteBuffer.wrap(block), off);
        blocks.writeBack();
        file.sync(); // block content (and its own refcount) before the table entry
        ByteBuffer e = ByteBuffer.allocate(8).putLong(0, off);
        file.writeFully(e, tableOffset + ti * 8);
        table[(int) ti] = off;
        blockOffsets.add(off);
        blocks.put(off, block, false);
        return off;
    }

    /** Moves the refcount table to a bigger one at the end of the image (with new blocks for it). */
    private void growTable(long minEntries) throws IOException {
        long oldLen = table.length;
        long perCluster = clusterSize / 8;
        long newEntries = Math.max(minEntries, oldLen * 2);
        long p = Math.max(oldLen << blockBits, highWater);
        long k, b;
        List<Long> newBlockIndexes;
        for (;;) {
            k = (newEntries + perCluster - 1) / perCluster;
            newEntries = k * perCluster;
            newBlockIndexes = new ArrayList<>();
            b = 0;
            for (;;) {
                long end = p + k + b;
                newBlockIndexes.clear();
                for (long ti = p >>> blockBits; ti <= (end - 1) >>> blockBits; ti++) newBlockIndexes.add(ti);
                if (newBlockIndexes.size() == b) break;
                b = newBlockIndexes.size();
            }
            long maxTi = newBlockIndexes.get(newBlockIndexes.size() - 1);
            if (maxTi < newEntries) break;
            newEntries = maxTi + 1;
        }
        if (k * clusterSize > Qcow2Header.MAX_REFTABLE_BYTES)
            throw new DiskFormatException(name, "refcount table would grow beyond " + Qcow2Header.MAX_REFTABLE_BYTES + " bytes");
        long[] newTable = new long[(int) newEntries];
        System.arraycopy(table, 0, newTable, 0, table.length);
        List<byte[]> newBlocks = new ArrayList<>();
        for (int j = 0; j < b; j++) {
            newTable[(int) (long) newBlockIndexes.get(j)] = (p + k + j) << clusterBits;
            newBlocks.add(new byte[clusterSize]);
        }
        long firstTi = newBlockIndexes.get(0);
        for (long c = p; c < p + k + b; c++) {
            byte[] blk = newBlocks.get((int) ((c >>> blockBits) - firstTi));
            setEntry(blk, c & (entriesPerBlock() - 1), 1);
        }
        for (int j = 0; j < b; j++) file.writeFully(ByteBuffer.wrap(newBlocks.get(j)), (p + k + j) << clusterBits);
        ByteBuffer t = ByteBuffer.allocate((int) (k * clusterSize));
        t.asLongBuffer().put(newTable);
        file.writeFully(t, p << clusterBits);
        blocks.writeBack();
        file.sync();
        ByteBuffer hdr = ByteBuffer.allocate(12).putLong(0, p << clusterBits).putInt(8, (int) k);
        file.writeFully(hdr, Qcow2Header.OFF_REFCOUNT_TABLE);
        file.sync();
        long oldOffset = tableOffset;
        long oldBytes = (long) tableClusters * clusterSize;
        table = newTable;
        tableOffset = p << clusterBits;
        tableClusters = (int) k;
        for (int j = 0; j < b; j++) {
            long off = (p + k + j) << clusterBits;
            blockOffsets.add(off);
            blocks.put(off, newBlocks.get(j), false);
        }
        highWater = Math.max(highWater, p + k + b);
        free(oldOffset, oldBytes); // the header no longer points at it (durable above)
    }

    /** Writes every dirty refcount block (the table entries are written synchronously). */
    void writeBack() throws IOException {
        blocks.writeBack();
    }

    boolean hasDirty() {
        return blocks.hasDirty();
    }
}
