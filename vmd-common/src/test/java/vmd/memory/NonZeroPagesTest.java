package vmd.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import vmd.sys.Native;

class NonZeroPagesTest {
    private static final long MIB = 1 << 20, PAGE = MappedRegion.PAGE_SIZE;

    @Test
    void untouchedRamHasNoPagesAndStaysUnallocated() {
        GuestMemory mem = GuestMemory.create("nonzero-empty", List.of(new MemoryRegion(0, 4 * MIB, 0)));
        long[] bits = NonZeroPages.of(mem, mem.regions().get(0));
        assertEquals(0, NonZeroPages.count(bits));
        assertEquals(4 * MIB / PAGE / 64, bits.length);
        assertTrue(Native.libc().lseek(mem.fd(), 0, 3 /* SEEK_DATA */) < 0, "the scan allocated pages in the memfd");
    }

    @Test
    void findsWrittenPagesAndSkipsPagesWrittenWithZeros() {
        GuestMemory mem = GuestMemory.create("nonzero-some", List.of(new MemoryRegion(0, 4 * MIB, 0)));
        mem.putByte(5 * PAGE + 17, (byte) 1);
        mem.putLong(7 * PAGE, 0); // touched, still zero
        mem.putLong(1023 * PAGE + PAGE - 8, -1); // the last page
        long[] bits = NonZeroPages.of(mem, mem.regions().get(0));
        assertEquals(2, NonZeroPages.count(bits));
        assertEquals(1L << 5, bits[0]);
        assertEquals(1L << 63, bits[15]);
    }

    @Test
    void aSecondRegionIsReadAtItsOwnFileOffset() {
        GuestMemory mem = GuestMemory.create("nonzero-two", List.of(new MemoryRegion(0, 2 * MIB, 0),
                new MemoryRegion(0x100000000L, 2 * MIB, 2 * MIB)));
        mem.putByte(0x100000000L + 3 * PAGE, (byte) 9);
        mem.putByte(3 * PAGE + 1, (byte) 0); // region 0 touched with a zero only
        long[] low = NonZeroPages.of(mem, mem.regions().get(0));
        long[] high = NonZeroPages.of(mem, mem.regions().get(1));
        assertEquals(0, NonZeroPages.count(low));
        long[] expected = new long[high.length];
        expected[0] = 1L << 3;
        assertArrayEquals(expected, high);
    }

    @Test
    void runsAreMaximalAndCutAtTheLongestRecord() {
        long pages = 1024;
        long[] bits = new long[16];
        bits[0] = 0b1110L; // pages 1-3
        for (int w = 2; w < 8; w++) bits[w] = -1L; // pages 128-511: 384 pages
        java.util.List<long[]> runs = new java.util.ArrayList<>();
        NonZeroPages.forEachRun(bits, pages, (first, n) -> runs.add(new long[] {first, n}));
        assertEquals(3, runs.size());
        assertArrayEquals(new long[] {1, 3}, runs.get(0));
        assertArrayEquals(new long[] {128, NonZeroPages.MAX_RUN}, runs.get(1));
        assertArrayEquals(new long[] {128 + NonZeroPages.MAX_RUN, 384 - NonZeroPages.MAX_RUN}, runs.get(2));
    }
}
