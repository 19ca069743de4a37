package vmd.virtio;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * A {@link DirtyLog} over memory laid out as vhost-user's log: bit {@code gpa / 4096}
 * counted from bit 0 of byte 0. Updated with atomic ORs on 64-bit words (little-endian,
 * so word {@code p / 64} bit {@code p % 64} is byte {@code p / 8} bit {@code p % 8}),
 * because the writer and the reader live in different processes.
 */
public final class DirtyBitmap implements DirtyLog {
    public static final long PAGE = 4096;
    private static final VarHandle WORD = ValueLayout.JAVA_LONG.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN)
            .varHandle();

    private final MemorySegment bits;
    private final long pages;

    /** {@code bits} covers {@code bits.byteSize() * 8} pages; its size must be a multiple of 8. */
    public DirtyBitmap(MemorySegment bits) {
        if (bits.byteSize() % 8 != 0) throw new IllegalArgumentException("log of " + bits.byteSize() + " bytes");
        this.bits = bits;
        this.pages = bits.byteSize() * 8;
    }

    /** Bytes of log for guest-physical addresses below {@code end}: whole 64-bit words. */
    public static long bytesFor(long end) {
        long pages = (end + PAGE - 1) / PAGE;
        return (pages + 63) / 64 * 8;
    }

    @Override
    public void mark(long gpa, long length) {
        if (length <= 0 || gpa < 0) return;
        long first = gpa / PAGE, last = Math.min((gpa + length - 1) / PAGE, pages - 1);
        for (long p = first; p <= last; p++) WORD.getAndBitwiseOr(bits, (p >>> 6) << 3, 1L << (p & 63));
    }

    /** Takes the dirty bits of pages {@code [first, first + count)} into {@code out} (bit i: page first + i), clearing them. */
    public void drain(long first, long count, long[] out) {
        if ((first & 63) != 0) throw new IllegalArgumentException("first page " + first + " not word-aligned");
        long words = (count + 63) / 64;
        for (long w = 0; w < words; w++) {
            long offset = ((first >>> 6) + w) << 3;
            if (offset + 8 > bits.byteSize()) break;
            out[(int) w] |= (long) WORD.getAndSet(bits, offset, 0L);
        }
    }
}
