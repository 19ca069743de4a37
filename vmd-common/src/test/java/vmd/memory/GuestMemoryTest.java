package vmd.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import vmd.sys.Mman;
import vmd.sys.NativeException;
import vmd.testing.MemoryContract;

class GuestMemoryTest {
    private static final long MIB = 1 << 20;

    @Test
    void createdMemoryHonoursTheContract() {
        GuestMemory mem = GuestMemory.create("guest-test", List.of(new MemoryRegion(0, 4 * MIB, 0)));
        long addr = mem.hostAddress(0, 1);
        MemoryContract.assertSealedGuestMapping(ProcessHandle.current().pid(), addr);
        assertTrue(mem.msealed());
        assertTrue(SealedMemfd.isSizeSealed(mem.fd()));
    }

    @Test
    void sealedMappingRefusesUnmapReprotectMoveAndResize() {
        GuestMemory mem = GuestMemory.create("guest-seal", List.of(new MemoryRegion(0, 2 * MIB, 0)));
        long addr = mem.hostAddress(0, 2 * MIB);
        assertEquals("munmap: EPERM (Operation not permitted)",
                assertThrows(NativeException.class, () -> Mman.munmap(addr, 2 * MIB)).getMessage());
        assertEquals("mprotect: EPERM (Operation not permitted)",
                assertThrows(NativeException.class, () -> Mman.mprotect(addr, 4096, Mman.PROT_READ)).getMessage());
        assertEquals("mremap: EPERM (Operation not permitted)",
                assertThrows(NativeException.class, () -> Mman.mremap(addr, 2 * MIB, 4 * MIB, Mman.MREMAP_MAYMOVE)).getMessage());
        assertEquals("ftruncate: EPERM (Operation not permitted)",
                assertThrows(NativeException.class, () -> Mman.ftruncate(mem.fd(), MIB)).getMessage());
        assertEquals("ftruncate: EPERM (Operation not permitted)",
                assertThrows(NativeException.class, () -> Mman.ftruncate(mem.fd(), 8 * MIB)).getMessage());
        // Still usable after every refused attempt.
        mem.putLong(0x1000, 0x1122334455667788L);
        assertEquals(0x1122334455667788L, mem.getLong(0x1000));
    }

    @Test
    void guestPhysicalAddressesMapThroughRegions() {
        // A hole between the regions, like the PCI hole below 4 GiB; file offsets are packed.
        GuestMemory mem = GuestMemory.create("guest-regions", List.of(
                new MemoryRegion(0, 2 * MIB, 0),
                new MemoryRegion(16 * MIB, 2 * MIB, 2 * MIB)));
        mem.putInt(16 * MIB + 8, 0xCAFEBABE);
        // Same bytes at the corresponding file offset through the first mapping's host view.
        long host = mem.hostAddress(16 * MIB, 4096);
        assertEquals(mem.hostAddress(0, 1) + 2 * MIB, host);
        assertEquals(0xCAFEBABE, mem.getInt(16 * MIB + 8));
        ByteBuffer b = mem.buffer(16 * MIB, 16);
        assertEquals(0xCAFEBABE, b.getInt(8));
        assertTrue(b.isDirect());
    }

    @Test
    void accessesOutsideGuestRamAreRefused() {
        GuestMemory mem = GuestMemory.create("guest-bounds", List.of(
                new MemoryRegion(0, MIB, 0), new MemoryRegion(4 * MIB, MIB, MIB)));
        assertThrows(GuestMemoryException.class, () -> mem.buffer(MIB - 4, 8));    // straddles the end
        assertThrows(GuestMemoryException.class, () -> mem.buffer(2 * MIB, 1));    // in the hole
        assertThrows(GuestMemoryException.class, () -> mem.buffer(5 * MIB, 1));    // past the top
        assertThrows(GuestMemoryException.class, () -> mem.buffer(-1, 1));
        assertThrows(GuestMemoryException.class, () -> mem.buffer(Long.MAX_VALUE - 2, 8)); // overflow
        assertThrows(GuestMemoryException.class, () -> mem.buffer(0, -1));
        assertEquals(8, mem.buffer(MIB - 8, 8).remaining());
    }

    @Test
    void chunkBoundariesAreInvisible() {
        // 1 GiB + 8 MiB costs nothing until touched: memfd pages are allocated lazily.
        long size = MappedRegion.CHUNK_SIZE + 8 * MIB;
        GuestMemory mem = GuestMemory.create("guest-big", List.of(new MemoryRegion(0, size, 0)));
        long boundary = MappedRegion.CHUNK_SIZE;
        ByteBuffer across = mem.buffer(boundary - 4, 8);
        across.putLong(0, 0x0102030405060708L);
        assertEquals(0x05060708, mem.getInt(boundary - 4));
        assertEquals(0x01020304, mem.getInt(boundary));
    }

    @Test
    void badLayoutsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new MemoryRegion(0, 1000, 0));
        assertThrows(IllegalArgumentException.class, () -> GuestMemory.create("x", List.of(
                new MemoryRegion(0, 2 * MIB, 0), new MemoryRegion(MIB, 2 * MIB, 2 * MIB))));
    }
}
