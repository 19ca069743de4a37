package vmd.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * L1/L2 tables (coverage-guided, Jazzer): an image whose L1 entries are empty, own or shared
 * L2 tables, or hostile (misaligned, beyond the end of the file, reserved bits, pointing at
 * other metadata or at one table twice), with L2 entries from the input. Contract: an entry
 * reads as the bytes say, or its lookup throws a DiskFormatException when its L1 entry is bad;
 * set entries read back, after write-back from a freshly opened table too; shared tables are
 * copied, never written; nothing but a DiskFormatException escapes.
 */
class Qcow2TablesFuzzTest {
    private static final String NAME = "fuzz.qcow2";
    private static final long RESERVED_L1 = 0x7f000000000001ffL;

    /** The L1 table and L2 contents the test expects, by table offset (shared by aliasing L1 entries). */
    private static final class Model {
        final long[] l1;
        final boolean[] bad; // lookups through this L1 entry throw
        final Map<Long, long[]> l2 = new HashMap<>();

        Model(int l1Size) {
            l1 = new long[l1Size];
            bad = new boolean[l1Size];
        }

        long entry(long gc, int l2Bits) {
            int i = (int) (gc >>> l2Bits);
            if (i >= l1.length) return 0;
            long[] t = l2.get(l1[i] & Qcow2Tables.OFFSET_MASK);
            return t == null ? 0 : t[(int) (gc & ((1 << l2Bits) - 1))];
        }
    }

    @FuzzTest
    void mapAndRemap(FuzzedDataProvider in) throws IOException {
        int clusterBits = in.consumeInt(Qcow2Header.MIN_CLUSTER_BITS, 11); // bigger tables only cost time
        int cs = 1 << clusterBits, l2Bits = clusterBits - 3, l2Entries = 1 << l2Bits;
        int l1Size = in.consumeInt(1, 8);
        MemoryImageFile file = new MemoryImageFile(NAME, true);
        Qcow2Creator.create(file, (long) l1Size * l2Entries * cs - in.consumeInt(0, cs), null, null, clusterBits);
        Qcow2Header h = Qcow2Header.read(file);
        Model m = new Model(h.l1Size);
        boolean modelled = true; // false once tables alias metadata or each other: then only the contract holds
        Qcow2Refcounts placing = new Qcow2Refcounts(file, h, 4);
        for (int i = 0; i < h.l1Size; i++) {
            long e;
            switch (in.consumeInt(0, 7)) {
                case 0 -> e = 0;
                case 1, 2 -> { // an L2 table of this image (COPIED) or shared with a snapshot
                    long off = placing.allocate(1);
                    long[] t = new long[l2Entries];
                    for (int k = 0, n = in.consumeInt(0, 6); k < n; k++) t[in.consumeInt(0, l2Entries - 1)] = in.consumeLong();
                    ByteBuffer b = ByteBuffer.allocate(cs);
                    b.asLongBuffer().put(t);
                    file.write(b, off);
                    m.l2.put(off, t);
                    e = off | (in.consumeBoolean() ? Qcow2Tables.COPIED : 0);
                }
                case 3 -> e = in.consumeLong() & RESERVED_L1 | (in.consumeBoolean() ? Qcow2Tables.COPIED : 0); // no table
                case 4 -> { // beyond the end of the file (far: allocations never reach it) or misaligned
                    long off = cs == 512 || in.consumeBoolean() ? (1L << 30) + cs * (long) in.consumeInt(0, 4)
                            : file.size() - cs + 512L * in.consumeInt(1, cs / 512 - 1);
                    e = off | Qcow2Tables.COPIED;
                    m.bad[i] = true;
                }
                case 5 -> e = Qcow2Tables.OFFSET_MASK | Qcow2Tables.COPIED; // the largest offset
                default -> { // at other metadata or another entry's table
                    long[] metadata = {h.l1TableOffset, h.refcountTableOffset, i > 0 ? m.l1[in.consumeInt(0, i - 1)] : 0};
                    e = in.pickValue(metadata) & Qcow2Tables.OFFSET_MASK | (in.consumeBoolean() ? Qcow2Tables.COPIED : 0);
                    modelled &= (e & Qcow2Tables.OFFSET_MASK) == 0;
                }
            }
            if ((e & Qcow2Tables.OFFSET_MASK) == Qcow2Tables.OFFSET_MASK) m.bad[i] = true;
            m.l1[i] = e;
        }
        placing.writeBack();
        ByteBuffer l1 = ByteBuffer.allocate(h.l1Size * 8);
        l1.asLongBuffer().put(m.l1);
        file.write(l1, h.l1TableOffset);
        file.guardHeader(cs);

        Qcow2Tables tables = open(file);
        try {
            for (int op = 0; op < 32 && in.remainingBytes() > 0; op++) {
                long gc = in.consumeLong(0, (long) h.l1Size * l2Entries + 1);
                int i = (int) (gc >>> l2Bits);
                boolean bad = i < m.bad.length && m.bad[i];
                switch (in.consumeInt(0, 3)) {
                    case 0 -> {
                        try {
                            long got = tables.entry(gc);
                            assertTrue(!bad, "lookup through bad L1 entry " + i + " succeeded");
                            if (modelled) assertEquals(m.entry(gc, l2Bits), got, "entry of guest cluster " + gc);
                        } catch (DiskFormatException e) {
                            if (!bad && modelled) fail("lookup of guest cluster " + gc + ": " + e.getMessage(), e);
                        }
                    }
                    case 1 -> {
                        if (i >= h.l1Size) continue; // beyond the virtual size: the disk never asks
                        long v = in.consumeLong();
                        try {
                            tables.setEntry(gc, v);
                            assertTrue(!bad, "entry set through bad L1 entry " + i);
                        } catch (DiskFormatException e) {
                            if (!bad && modelled) fail("setting guest cluster " + gc + ": " + e.getMessage(), e);
                            continue;
                        }
                        if (!modelled) continue;
                        remap(m, i, l2Entries, tables, file);
                        m.l2.get(m.l1[i] & Qcow2Tables.OFFSET_MASK)[(int) (gc & (l2Entries - 1))] = v;
                    }
                    case 2 -> tables.writeBack();
                    default -> assertTrue(tables.isMetadata(0) && tables.isMetadata(h.l1TableOffset) && tables.isMetadata(h.refcountTableOffset));
                }
            }
            tables.writeBack();
        } catch (DiskFormatException e) {
            if (modelled) throw e;
            return;
        }
        if (modelled) checkFile(m, file, l2Entries);
    }

    /** The L1 and L2 tables as the file holds them now, decoded here, not by Qcow2Tables. */
    private static void checkFile(Model m, MemoryImageFile file, int l2Entries) throws IOException {
        Qcow2Header h = Qcow2Header.read(file);
        ByteBuffer l1 = ByteBuffer.allocate(h.l1Size * 8);
        file.readFully(l1, h.l1TableOffset);
        ByteBuffer t = ByteBuffer.allocate(l2Entries * 8);
        for (int i = 0; i < h.l1Size; i++) {
            assertEquals(m.l1[i], l1.getLong(8 * i), "L1 entry " + i);
            long off = m.l1[i] & Qcow2Tables.OFFSET_MASK;
            if (m.bad[i] || off == 0) continue;
            file.readFully(t.clear(), off);
            long[] want = m.l2.get(off), got = new long[l2Entries];
            t.flip().asLongBuffer().get(got);
            assertArrayEquals(want, got, "L2 table of L1 entry " + i + " at " + off);
        }
    }

    private static Qcow2Tables open(MemoryImageFile file) throws IOException {
        Qcow2Header h = Qcow2Header.read(file);
        return new Qcow2Tables(file, h, new Qcow2Refcounts(file, h, 4), 4);
    }

    /** Follows a set through an L1 entry that had no own table: a new one (a copy, if it was shared). */
    private static void remap(Model m, int i, int l2Entries, Qcow2Tables tables, MemoryImageFile file) throws IOException {
        long old = m.l1[i];
        if ((old & Qcow2Tables.OFFSET_MASK) != 0 && (old & Qcow2Tables.COPIED) != 0) return;
        long[] before = m.l2.get(old & Qcow2Tables.OFFSET_MASK);
        long[] copy = before == null ? new long[l2Entries] : before.clone();
        long now = readL1(tables, file, i);
        assertTrue((now & Qcow2Tables.COPIED) != 0 && (now & Qcow2Tables.OFFSET_MASK) != (old & Qcow2Tables.OFFSET_MASK),
                "L1 entry " + i + " not remapped to a new own table");
        assertTrue(!m.l2.containsKey(now & Qcow2Tables.OFFSET_MASK), "new L2 table at a live table's offset");
        m.l1[i] = now;
        m.l2.put(now & Qcow2Tables.OFFSET_MASK, copy);
    }

    /** The L1 entry as the tables hold it: written back, then read from the file. */
    private static long readL1(Qcow2Tables tables, MemoryImageFile file, int i) throws IOException {
        tables.writeBack();
        Qcow2Header h = Qcow2Header.read(file);
        ByteBuffer b = ByteBuffer.allocate(8);
        file.readFully(b, h.l1TableOffset + 8L * i);
        return b.getLong(0);
    }
}
