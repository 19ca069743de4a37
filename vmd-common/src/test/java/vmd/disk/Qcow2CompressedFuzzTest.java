package vmd.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;
import java.util.zip.Deflater;

/**
 * Compressed qcow2 clusters (coverage-guided, Jazzer). Contract: any descriptor decodes to a
 * host range no longer than the format allows (at most two clusters of sectors), and any
 * bytes inflate to exactly one cluster or a DiskFormatException naming the image; a deflate
 * stream of a cluster, with whatever follows it in the last sector, inflates back to it.
 */
class Qcow2CompressedFuzzTest {
    private static final String NAME = "fuzz.qcow2";
    private static final Deflater DEFLATER = new Deflater(Deflater.DEFAULT_COMPRESSION, true); // one: a new one per input is slow

    /** A hostile descriptor and hostile bytes, read as Qcow2Disk reads them (at most the descriptor's length). */
    @FuzzTest
    void hostileStream(FuzzedDataProvider in) {
        int clusterBits = in.consumeInt(Qcow2Header.MIN_CLUSTER_BITS, Qcow2Header.MAX_CLUSTER_BITS);
        long entry = in.consumeLong() | Qcow2Tables.COMPRESSED;
        byte[] data = in.consumeRemainingAsBytes();
        Qcow2Compressed c = new Qcow2Compressed(NAME, clusterBits);
        int cs = 1 << clusterBits;
        checkDescriptor(c, entry, clusterBits);
        int n = Math.min(data.length, c.compressedLength(entry));
        try {
            byte[] out = c.inflate(data, n, entry);
            assertEquals(cs, out.length);
        } catch (DiskFormatException e) {
            assertTrue(e.getMessage().startsWith(NAME + ": compressed cluster at host offset "), e.getMessage());
        }
    }

    static void checkDescriptor(Qcow2Compressed c, long entry, int clusterBits) {
        long off = c.hostOffset(entry);
        int len = c.compressedLength(entry);
        long[] range = c.sectorRange(entry);
        assertTrue(off >= 0 && off < 1L << (70 - clusterBits), "host offset " + off);
        assertTrue(len >= 1 && len <= 2 << clusterBits, "length " + len);
        assertEquals(0, range[0] % 512);
        assertTrue(range[0] <= off && off + len == range[0] + range[1] && range[1] <= 2L << clusterBits);
    }

    /**
     * Oracle: a cluster (from the input, repeated so that it compresses) deflated as QEMU does
     * (raw deflate, any level and strategy) and followed by garbage inflates back to itself.
     */
    @FuzzTest
    void roundTrip(FuzzedDataProvider in) throws DiskFormatException {
        int clusterBits = in.consumeInt(Qcow2Header.MIN_CLUSTER_BITS, 14); // larger clusters only cost time
        int cs = 1 << clusterBits;
        int level = in.consumeInt(0, 9);
        int strategy = in.pickValue(new int[] {Deflater.DEFAULT_STRATEGY, Deflater.FILTERED, Deflater.HUFFMAN_ONLY});
        byte[] tail = in.consumeBytes(in.consumeInt(0, 600));
        byte[] unit = in.consumeRemainingAsBytes();
        byte[] cluster = new byte[cs];
        if (unit.length > 0) for (int i = 0; i < cs; i++) cluster[i] = unit[i % unit.length];
        Deflater d = DEFLATER;
        d.reset();
        d.setLevel(level);
        d.setStrategy(strategy);
        d.setInput(cluster);
        d.finish();
        byte[] buf = new byte[2 * cs + 64];
        int n = 0;
        while (!d.finished()) n += d.deflate(buf, n, buf.length - n);
        if (n > 2 * cs - 512) return; // incompressible beyond what a descriptor can hold: QEMU stores it uncompressed
        byte[] stored = Arrays.copyOf(buf, n + tail.length);
        System.arraycopy(tail, 0, stored, n, tail.length);
        long sectors = (n + 511) / 512; // the descriptor spans the stream's sectors, as QEMU writes it
        long hostOffset = 1L << clusterBits;
        long entry = Qcow2Tables.COMPRESSED | ((sectors - 1) << (70 - clusterBits)) | hostOffset;
        Qcow2Compressed c = new Qcow2Compressed(NAME, clusterBits);
        checkDescriptor(c, entry, clusterBits);
        int len = Math.min(stored.length, c.compressedLength(entry));
        assertArrayEquals(cluster, c.inflate(stored, len, entry));
    }
}
