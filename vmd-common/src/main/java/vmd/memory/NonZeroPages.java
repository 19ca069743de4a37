package vmd.memory;

import java.lang.foreign.MemorySegment;
import vmd.sys.Native;

/**
 * Which pages of a RAM region hold anything but zeros, as a bitmap (bit p of word p/64).
 * The memfd's holes are skipped without being read: a page the guest never touched has
 * no backing page, and reading it through the mapping would allocate one (a 1 GiB guest
 * that used 256 MiB would cost 768 MiB on the host and the time to clear it). Pages that
 * exist are compared with zeros. Swapped-out shmem pages count as data for SEEK_DATA.
 */
public final class NonZeroPages {
    private static final int SEEK_DATA = 3, SEEK_HOLE = 4, ENXIO = 6;
    private static final long PAGE = MappedRegion.PAGE_SIZE;
    /** The longest run {@link #forEachRun} reports: 256 pages, what one stream record carries. */
    public static final int MAX_RUN = 256;
    private static final MemorySegment ZERO_PAGE = MemorySegment.ofArray(new byte[(int) PAGE]);

    private NonZeroPages() {}

    public static long[] of(GuestMemory memory, MappedRegion r) {
        long pages = r.region().size() / PAGE;
        long[] bits = new long[(int) ((pages + 63) / 64)];
        long base = r.region().fileOffset(), end = base + r.region().size();
        MemorySegment seg = r.segment();
        long at = base;
        while (at < end) {
            long data = Native.libc().lseek(memory.fd(), at, SEEK_DATA);
            if (data < 0) {
                if (Native.errno() == ENXIO) break; // only a hole from here on
                data = at; // lseek refused (not a memfd?): read everything left
            }
            if (data >= end) break;
            long hole = Native.libc().lseek(memory.fd(), data, SEEK_HOLE);
            if (hole < 0 || hole > end) hole = end;
            for (long p = (data - base) / PAGE; p < (hole - base + PAGE - 1) / PAGE; p++) {
                if (seg.asSlice(p * PAGE, PAGE).mismatch(ZERO_PAGE) != -1) bits[(int) (p >>> 6)] |= 1L << (p & 63);
            }
            at = Math.max(hole, data + PAGE);
        }
        return bits;
    }

    /** What {@link #forEachRun} calls with a run of set bits. */
    public interface Run {
        void accept(long firstPage, long pages);
    }

    /** Calls {@code run} for each maximal run of set bits among the first {@code pages}, cut at {@code MAX_RUN} pages (1 MiB). */
    public static void forEachRun(long[] bits, long pages, Run run) {
        long p = 0;
        while (p < pages) {
            if ((bits[(int) (p >>> 6)] & (1L << (p & 63))) == 0) {
                p++;
                continue;
            }
            long first = p;
            while (p < pages && p - first < MAX_RUN && (bits[(int) (p >>> 6)] & (1L << (p & 63))) != 0) p++;
            run.accept(first, p - first);
        }
    }

    public static long count(long[] bits) {
        long n = 0;
        for (long w : bits) n += Long.bitCount(w);
        return n;
    }
}
