package vmd.vm.snapshot;

import java.util.ArrayList;
import java.util.List;
import vmd.memory.GuestMemory;
import vmd.memory.NonZeroPages;
import vmd.memory.MappedRegion;
import vmd.memory.MemoryRegion;

/**
 * Guest RAM in a snapshot: per region its guest address, size and a bitmap of the pages
 * that hold anything but zeros, then those pages in order. A new memfd reads as zeros,
 * so zero pages need neither bytes in the stream nor writes on restore; most of a fresh
 * guest's memory is zeros.
 *
 * <pre>
 *   u32 region count; per region: u64 guest address, u64 size, u64 pages present,
 *   bitmap (one bit per 4 KiB page, bit i of byte i/8), then the present pages
 * </pre>
 */
public final class MemoryImage {
    static final long PAGE = MappedRegion.PAGE_SIZE;

    private final GuestMemory memory;
    private final List<long[]> bitmaps = new ArrayList<>();
    private final long[] present;

    /** Scans {@code memory} (which must not change until {@link #write} returns). */
    public MemoryImage(GuestMemory memory) {
        this.memory = memory;
        present = new long[memory.regions().size()];
        for (int r = 0; r < memory.regions().size(); r++) {
            long[] bits = NonZeroPages.of(memory, memory.regions().get(r));
            present[r] = NonZeroPages.count(bits);
            bitmaps.add(bits);
        }
    }

    public long pagesPresent() {
        long n = 0;
        for (long p : present) n += p;
        return n;
    }

    /** The section's length in the stream. */
    public long length() {
        long n = 4;
        for (int r = 0; r < present.length; r++) {
            n += 24 + bitmapBytes(memory.regions().get(r).region().size()) + present[r] * PAGE;
        }
        return n;
    }

    private static int bitmapBytes(long size) {
        return (int) ((size / PAGE + 7) / 8);
    }

    public void write(StreamFd out) {
        StateWriter h = new StateWriter().u32(present.length);
        out.write(h.toByteArray());
        for (int r = 0; r < present.length; r++) {
            MappedRegion region = memory.regions().get(r);
            long size = region.region().size();
            byte[] bitmap = toBytes(bitmaps.get(r), bitmapBytes(size));
            StateWriter w = new StateWriter().u64(region.region().guestAddress()).u64(size).u64(present[r]);
            out.write(w.toByteArray());
            out.write(bitmap);
            NonZeroPages.forEachRun(bitmaps.get(r), size / PAGE, (first, count) -> out.write(region.hostAddress() + first * PAGE, count * PAGE));
        }
    }

    /**
     * Reads the section into {@code memory}, which must have the same regions (the
     * receiving VM is configured with the same memory size) and read as zeros.
     */
    public static long read(StreamFd in, long sectionLength, GuestMemory memory) {
        long start = in.transferred();
        StateReader h = new StateReader("memory", in.read(4));
        int regions = h.u32();
        if (regions != memory.regions().size()) {
            throw new SnapshotException("snapshot memory has " + regions + " regions; this VM has " + memory.regions().size()
                    + " (is its memory size the same?)");
        }
        long pagesRead = 0;
        for (int r = 0; r < regions; r++) {
            MappedRegion local = memory.regions().get(r);
            MemoryRegion layout = local.region();
            StateReader rh = new StateReader("memory", in.read(24));
            long gpa = rh.u64(), size = rh.u64(), count = rh.u64();
            if (gpa != layout.guestAddress() || size != layout.size()) {
                throw new SnapshotException(String.format("snapshot memory region %d is 0x%x+0x%x; this VM has 0x%x+0x%x (is its memory size the same?)",
                        r, gpa, size, layout.guestAddress(), layout.size()));
            }
            long[] bits = fromBytes(in.read(bitmapBytes(size)), size / PAGE);
            long set = 0;
            for (long w : bits) set += Long.bitCount(w);
            if (set != count) throw new SnapshotException("snapshot memory region " + r + ": bitmap has " + set + " pages, header says " + count);
            NonZeroPages.forEachRun(bits, size / PAGE, (first, n) -> in.read(local.hostAddress() + first * PAGE, n * PAGE));
            pagesRead += count;
        }
        if (in.transferred() - start != sectionLength) throw new SnapshotException("snapshot memory section length does not match its contents");
        return pagesRead;
    }

    private static byte[] toBytes(long[] bits, int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) b[i] = (byte) (bits[i >>> 3] >>> (8 * (i & 7)));
        return b;
    }

    private static long[] fromBytes(byte[] b, long pages) {
        long[] bits = new long[(int) ((pages + 63) / 64)];
        for (int i = 0; i < b.length; i++) bits[i >>> 3] |= (b[i] & 0xffL) << (8 * (i & 7));
        // bits past the last page would read beyond the region
        if (pages % 64 != 0 && bits.length > 0) bits[bits.length - 1] &= (1L << (pages % 64)) - 1;
        return bits;
    }
}
