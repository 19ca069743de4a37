package vmd.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * Refcounts of every width, 1 to 64 bits (coverage-guided, Jazzer): a refcount table whose
 * entries are empty, blocks with counts from the input, or hostile (misaligned, beyond the end
 * of the file, reserved bits, one block twice, the table itself), then allocations and frees.
 * Contract: a bad table entry is a DiskFormatException at open; counts read as written; an
 * allocation hands out only clusters whose count was 0, never metadata, never one freed in this
 * session; frees reach 0 exactly where the model says; counts survive write-back and reopening.
 */
class Qcow2RefcountsFuzzTest {
    private static final String NAME = "fuzz.qcow2";

    /**
     * What the counts should be, by cluster index. Arrays and bit sets, not hash maps: Jazzer's
     * hooks on Map.get and Set.contains walk the whole collection on every call.
     */
    private static final class Model {
        final int order;
        final long max;
        private long[] counts = new long[64];
        final BitSet metadata = new BitSet(), freed = new BitSet();
        final List<Long> allocated = new ArrayList<>();
        final List<long[]> pending = new ArrayList<>();
        long tableOffset, tableBytes;

        Model(int order) {
            this.order = order;
            this.max = order == 6 ? Long.MAX_VALUE : (1L << (1 << order)) - 1;
        }

        long count(long idx) {
            return idx < counts.length ? counts[(int) idx] : 0;
        }

        long known() {
            return Math.max(counts.length, metadata.length());
        }

        void setCount(long idx, long v) {
            if (idx >= counts.length) counts = Arrays.copyOf(counts, Math.max((int) idx + 1, 2 * counts.length));
            counts[(int) idx] = v;
        }
    }

    @FuzzTest
    void allocateAndFree(FuzzedDataProvider in) throws IOException {
        int clusterBits = in.consumeInt(Qcow2Header.MIN_CLUSTER_BITS, 11);
        int cs = 1 << clusterBits;
        Model m = new Model(in.consumeInt(0, 6));
        long perBlock = (long) cs * 8 >>> m.order;
        int blocks = in.consumeInt(1, 4), extra = in.consumeInt(0, 12);
        long fileClusters = 2 + blocks + extra;
        // Sometimes a (sparse) file larger than a one-cluster table covers: the table grows at the next count beyond it.
        long coverage = (long) cs * cs >>> m.order;
        long sparseTail = coverage <= 16384 && in.consumeInt(0, 7) == 0 ? coverage + in.consumeInt(0, 8) : 0;
        MemoryImageFile file = new MemoryImageFile(NAME, true);
        ByteBuffer header = Qcow2Header.encodeV3(clusterBits, 0, 0, 0, cs, 1, null, null);
        header.putInt(96, m.order);
        file.write(header, 0);
        file.setSize(Math.max(fileClusters, sparseTail) * cs);
        m.metadata.set(0);
        m.metadata.set(1);
        m.tableOffset = cs;
        m.tableBytes = cs;

        // Table entries: blocks at clusters 2.., then hostile ones; what open must refuse.
        long[] table = new long[cs / 8];
        boolean refused = false, modelled = true;
        long[] blockAt = new long[blocks];
        for (int ti = 0; ti < blocks; ti++) {
            long block = (2L + ti) << clusterBits;
            blockAt[ti] = block;
            switch (in.consumeInt(0, 7)) {
                case 0 -> table[ti] = 0;
                case 1 -> table[ti] = in.consumeInt(1, 0x1ff); // reserved bits, no block
                case 2 -> { table[ti] = (1L << 40) + block; refused = true; } // beyond the end of the file
                case 3 -> { // misaligned
                    table[ti] = cs == 512 ? file.size() : block + 512; // 512-byte clusters cannot misalign: the end of the file
                    refused = true;
                }
                case 4 -> { table[ti] = ti > 0 ? blockAt[0] : block; modelled &= ti == 0; } // one block twice
                case 5 -> { table[ti] = cs; modelled = false; } // the table itself
                default -> table[ti] = block;
            }
            if (table[ti] == block) m.metadata.set(2 + ti);
        }
        // Counts in the blocks: metadata 1 (or corrupt), data from the input, beyond the file mostly 0.
        for (int ti = 0; ti < blocks; ti++) {
            if (table[ti] != blockAt[ti]) continue;
            byte[] b = new byte[cs];
            for (long i = 0; i < perBlock && ti * perBlock + i < fileClusters + 4; i++) {
                long idx = ti * perBlock + i;
                long v = m.metadata.get((int) idx) ? (in.consumeInt(0, 15) == 0 ? 0 : 1)
                        : switch (in.consumeInt(0, 5)) {
                            case 0, 1 -> 0;
                            case 2 -> 1;
                            case 3 -> m.max;
                            default -> in.consumeLong(0, m.max);
                        };
                if (idx >= fileClusters && in.consumeInt(0, 3) != 0) v = 0;
                put(b, (int) i, m.order, v);
                m.setCount(idx, v);
            }
            file.write(ByteBuffer.wrap(b), blockAt[ti]);
        }
        ByteBuffer t = ByteBuffer.allocate(cs);
        t.asLongBuffer().put(table);
        file.write(t, cs);
        file.guardHeader(cs);

        boolean uncounted = m.metadata.stream().anyMatch(idx -> m.count(idx) == 0); // corrupt: allocation must refuse
        Qcow2Refcounts r;
        try {
            r = new Qcow2Refcounts(file, Qcow2Header.read(file), in.consumeInt(2, 5));
            assertTrue(!refused, "a refcount table with a bad entry was accepted");
        } catch (DiskFormatException e) {
            if (!refused) throw e;
            return;
        }
        try {
            operate(in, file, r, m, cs, clusterBits, fileClusters, modelled);
            r.writeBack();
        } catch (DiskFormatException e) {
            if (modelled && !(uncounted && e.getMessage().contains("has refcount 0: refusing to allocate"))) throw e;
            return;
        }
        if (!modelled) return;
        check(r, m);
        check(new Qcow2Refcounts(file, Qcow2Header.read(file), 4), m);
    }

    private static void operate(FuzzedDataProvider in, MemoryImageFile file, Qcow2Refcounts r, Model m, int cs, int clusterBits,
            long fileClusters, boolean modelled) throws IOException {
        for (int op = 0; op < 24 && in.remainingBytes() > 0; op++) {
            switch (in.consumeInt(0, 6)) {
                case 0 -> {
                    int n = in.consumeInt(1, in.consumeInt(0, 7) == 0 ? 70 : 8); // mostly small, some span blocks
                    long off = r.allocate(n);
                    assertEquals(0, off & (cs - 1), "allocation at " + off);
                    for (long idx = off >>> clusterBits; idx < (off >>> clusterBits) + n; idx++) {
                        // Messages built only on failure: concatenating for every cluster costs more than the allocation.
                        if (idx == 0 || modelled && m.metadata.get((int) idx))
                            fail("allocated metadata cluster " + idx);
                        if (modelled && m.count(idx) != 0) fail("allocated cluster " + idx + " in use");
                        if (modelled && m.freed.get((int) idx)) fail("allocated cluster " + idx + " freed in this session");
                        m.setCount(idx, 1);
                        m.allocated.add(idx);
                    }
                    if (modelled) learnMetadata(file, m, cs);
                }
                case 1 -> {
                    if (m.allocated.isEmpty()) continue;
                    long idx = m.allocated.remove(in.consumeInt(0, m.allocated.size() - 1));
                    free(r, m, idx << clusterBits, (long) cs * in.consumeInt(1, 2));
                }
                case 2 -> free(r, m, in.consumeLong(0, (fileClusters + 2) * cs), in.consumeLong(1, 3L * cs)); // anything
                case 3 -> {
                    List<Long> zeroed = r.applyPendingFrees();
                    List<Long> expected = applyFrees(m, clusterBits);
                    if (modelled) assertEquals(expected, zeroed);
                }
                case 4 -> r.writeBack();
                case 5 -> { // a count beyond the table (snapshot sharing of a cluster past its end): the table grows
                    long coverage = (long) (m.tableBytes / 8) * (cs * 8L >>> m.order);
                    if (r.highWater() <= coverage) continue;
                    long idx = in.consumeLong(coverage, r.highWater() - 1);
                    r.increment(idx << clusterBits, cs);
                    m.setCount(idx, m.count(idx) + 1);
                    if (modelled) learnMetadata(file, m, cs);
                }
                default -> {
                    long idx = in.consumeLong(0, fileClusters + 4);
                    if (modelled) assertEquals(m.count(idx), r.refcount(idx), "refcount of cluster " + idx);
                }
            }
        }
    }

    /**
     * Follows the refcount table in the file, which allocation rewrites at once: a grown table
     * frees the old one (with the other pending frees), and the clusters the allocation took for
     * the new table and new blocks count 1 from now on.
     */
    private static void learnMetadata(MemoryImageFile file, Model m, int cs) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(12);
        file.readFully(h, Qcow2Header.OFF_REFCOUNT_TABLE);
        long offset = h.getLong(0), bytes = (long) h.getInt(8) * cs;
        if (offset != m.tableOffset) {
            m.pending.add(new long[] {m.tableOffset, m.tableBytes});
            m.metadata.clear((int) (m.tableOffset / cs), (int) ((m.tableOffset + m.tableBytes) / cs)); // no longer metadata
            m.tableOffset = offset;
            m.tableBytes = bytes;
        }
        ByteBuffer t = ByteBuffer.allocate((int) bytes);
        file.readFully(t, offset);
        for (long c = offset / cs; c < (offset + bytes) / cs; c++) learn(m, c);
        for (int i = 0; i < bytes; i += 8) if ((t.getLong(i) & ~0x1ffL) != 0) learn(m, (t.getLong(i) & ~0x1ffL) / cs);
    }

    private static void learn(Model m, long idx) {
        if (m.metadata.get((int) idx)) return;
        m.metadata.set((int) idx);
        m.setCount(idx, 1);
    }

    private static void free(Qcow2Refcounts r, Model m, long offset, long length) {
        r.free(offset, length);
        m.pending.add(new long[] {offset, length});
    }

    /** The model's side of applyPendingFrees: the offsets whose count reaches 0. */
    private static List<Long> applyFrees(Model m, int clusterBits) {
        List<Long> zeroed = new ArrayList<>();
        for (long[] f : m.pending) {
            for (long idx = f[0] >>> clusterBits; idx <= (f[0] + f[1] - 1) >>> clusterBits; idx++) {
                long v = m.count(idx);
                if (v == 0) continue;
                m.setCount(idx, v - 1);
                if (v - 1 == 0) {
                    zeroed.add(idx << clusterBits);
                    m.freed.set((int) idx);
                }
            }
        }
        m.pending.clear();
        return zeroed;
    }

    /** Every count up to the high-water mark, or (sparse tails) a little past the last cluster the model knows. */
    private static void check(Qcow2Refcounts r, Model m) throws IOException {
        for (long idx = 0; idx < Math.min(r.highWater() + 2, m.known() + 64); idx++) {
            long want = m.count(idx), got = r.refcount(idx);
            if (want != got) fail("refcount of cluster " + idx + ": " + got + ", not " + want);
        }
    }

    /** Stores count {@code v} at {@code index} of a block, as qcow2.txt packs refcount_bits wide entries. */
    private static void put(byte[] b, int index, int order, long v) {
        int bits = 1 << order;
        if (bits >= 8) {
            int bytes = bits / 8;
            for (int k = 0; k < bytes; k++) b[index * bytes + k] = (byte) (v >>> (8 * (bytes - 1 - k)));
        } else {
            int bit = index * bits;
            b[bit / 8] |= (byte) (v << (bit % 8));
        }
    }
}
