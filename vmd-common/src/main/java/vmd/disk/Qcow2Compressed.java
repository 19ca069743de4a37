package vmd.disk;

import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Compressed qcow2 clusters: descriptor decoding and zlib (raw deflate, as QEMU writes them)
 * decompression. A descriptor holds the host byte offset and the number of 512-byte sectors
 * the compressed data may span.
 */
final class Qcow2Compressed {
    private final String name;
    private final int clusterSize;
    private final int csizeShift;
    private final long csizeMask;
    private final long offsetMask;

    Qcow2Compressed(String name, int clusterBits) {
        this.name = name;
        this.clusterSize = 1 << clusterBits;
        this.csizeShift = 62 - (clusterBits - 8);
        this.csizeMask = (1L << (clusterBits - 8)) - 1;
        this.offsetMask = (1L << csizeShift) - 1;
    }

    long hostOffset(long entry) {
        return entry & offsetMask;
    }

    /** Bytes of compressed data from {@link #hostOffset}. */
    int compressedLength(long entry) {
        long sectors = ((entry >>> csizeShift) & csizeMask) + 1;
        return (int) (sectors * 512 - (hostOffset(entry) & 511));
    }

    /** The host range that the descriptor's sectors cover, for refcounting: {start, length}. */
    long[] sectorRange(long entry) {
        long sectors = ((entry >>> csizeShift) & csizeMask) + 1;
        return new long[] {hostOffset(entry) & ~511L, sectors * 512};
    }

    /** Inflates {@code n} bytes of {@code in} into exactly one cluster. */
    byte[] inflate(byte[] in, int n, long entry) throws DiskFormatException {
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(in, 0, n);
            byte[] out = new byte[clusterSize];
            int total = 0;
            while (total < clusterSize) {
                int k = inflater.inflate(out, total, clusterSize - total);
                total += k;
                if (k == 0 && (inflater.finished() || inflater.needsInput() || inflater.needsDictionary())) break;
            }
            if (total < clusterSize)
                throw new DiskFormatException(name, "compressed cluster at host offset " + Qcow2Header.hex(hostOffset(entry))
                        + " inflates to " + total + " bytes, not a whole cluster");
            return out;
        } catch (DataFormatException e) {
            throw new DiskFormatException(name, "compressed cluster at host offset " + Qcow2Header.hex(hostOffset(entry))
                    + " is not valid deflate data: " + e.getMessage());
        } finally {
            inflater.end();
        }
    }
}
