package vmd.vm.boot;

import static org.junit.jupiter.api.Assertions.*;
import static vmd.vm.boot.BootFixtures.MIB;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import vmd.memory.GuestMemory;

class PvhBootTest {
    static final long PADDR = 0x100_0000L, ENTRY = 0x100_0040L;

    /** A minimal ELF64 vmlinux: one PT_LOAD (0x100 bytes file, 0x3000 memory) and a PT_NOTE with the PVH entry. */
    static byte[] elf(boolean withNote) {
        byte[] f = new byte[0x300];
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, (byte) 0x7F).put(1, (byte) 'E').put(2, (byte) 'L').put(3, (byte) 'F');
        b.put(4, (byte) 2).put(5, (byte) 1).put(6, (byte) 1);
        b.putShort(16, (short) 2).putShort(18, (short) 62).putInt(20, 1);
        b.putLong(24, 0xFFFF_FFFF_8100_0000L);
        b.putLong(32, 64).putShort(52, (short) 64).putShort(54, (short) 56).putShort(56, (short) 2);
        // PT_LOAD
        b.putInt(64, 1).putInt(68, 5).putLong(72, 0x200).putLong(80, 0xFFFF_FFFF_8100_0000L).putLong(88, PADDR)
                .putLong(96, 0x100).putLong(104, 0x3000).putLong(112, 0x1000);
        // PT_NOTE at 0x100: an unrelated note first, then Xen's PHYS32_ENTRY (8-byte descriptor, as Linux emits)
        b.putInt(120, 4).putLong(128, 0x100).putLong(136, 0).putLong(144, 0).putLong(152, 0x30).putLong(160, 0x30);
        int n = 0x100;
        b.putInt(n, 4).putInt(n + 4, 4).putInt(n + 8, 3);
        b.put(n + 12, "GNU\0".getBytes(StandardCharsets.US_ASCII));
        b.putInt(n + 16, 0x1234);
        n += 20;
        b.putInt(n, 4).putInt(n + 4, 8).putInt(n + 8, withNote ? 18 : 17);
        b.put(n + 12, "Xen\0".getBytes(StandardCharsets.US_ASCII));
        b.putLong(n + 16, ENTRY);
        for (int i = 0; i < 0x100; i++) f[0x200 + i] = (byte) (0xA0 + i);
        return f;
    }

    @Test
    void pvh_kernel_boots_in_32bit_mode_with_start_info() {
        long ram = 64 * MIB;
        GuestMemory mem = BootFixtures.memory(ram);
        byte[] garbage = new byte[0x3000];
        Arrays.fill(garbage, (byte) 0xEE);
        mem.write(PADDR, garbage);
        byte[] initrd = new byte[5000];
        BootImage.Plan plan = BootImage.load(mem, elf(true), ram, 2, "console=hvc0", initrd);
        assertEquals(BootImage.Kind.PVH_ELF, plan.kind());
        PvhBoot.Result r = plan.pvh().orElseThrow();
        assertEquals(ENTRY, r.elf().pvhEntry());

        assertArrayEquals(Arrays.copyOfRange(elf(true), 0x200, 0x300), mem.read(PADDR, 0x100));
        assertArrayEquals(new byte[0x2F00], mem.read(PADDR + 0x100, 0x2F00), "bss zeroed");

        long si = 0x7000;
        assertEquals(0x336EC578, mem.getInt(si));
        assertEquals(1, mem.getInt(si + 4));
        assertEquals(1, mem.getInt(si + 12), "nr_modules");
        long mod = mem.getLong(si + 16);
        assertEquals(r.initrdAddress(), mem.getLong(mod));
        assertEquals(5000, mem.getLong(mod + 8));
        assertEquals(0, r.initrdAddress() % 4096);
        assertEquals(0x20000, mem.getLong(si + 24));
        assertEquals("console=hvc0", new String(mem.read(0x20000, 12), StandardCharsets.US_ASCII));
        assertEquals(0xE0000, mem.getLong(si + 32), "rsdp_paddr");
        long mm = mem.getLong(si + 40);
        assertEquals(4, mem.getInt(si + 48));
        assertEquals(0x100000, mem.getLong(mm + 3 * 24));
        assertEquals(ram - 0x100000, mem.getLong(mm + 3 * 24 + 8));
        assertEquals(1, mem.getInt(mm + 3 * 24 + 16));

        CpuState c = (CpuState) plan.bsp();
        assertEquals(CpuState.Mode.PROTECTED_32, c.mode());
        assertEquals(ENTRY, c.rip());
        assertEquals(0x7000, c.rbx());
        assertEquals(0x11, c.cr0());
        assertEquals(0, c.cr4());
        assertEquals(0, c.efer());
        assertTrue(c.cs().db() && !c.cs().l());
        assertEquals(0x00CF_9B00_0000_FFFFL, mem.getLong(0x510));
        assertEquals(0x00CF_9300_0000_FFFFL, mem.getLong(0x518));
        assertEquals("RSD PTR ", new String(mem.read(0xE0000, 8), StandardCharsets.US_ASCII));
    }

    @Test
    void elf_without_pvh_note_is_refused() {
        BootException e = assertThrows(BootException.class, () -> PvhBoot.parse(elf(false)));
        assertEquals("ELF kernels without a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) are not supported;"
                + " build Linux with CONFIG_PVH or boot its bzImage", e.getMessage());
    }

    @Test
    void detection() {
        assertEquals(BootImage.Kind.BZIMAGE, BootImage.detect(new BootFixtures.Kernel().build()));
        assertEquals(BootImage.Kind.PVH_ELF, BootImage.detect(elf(true)));
        assertEquals(BootImage.Kind.FIRMWARE, BootImage.detect(new byte[65536]));
        BootException e = assertThrows(BootException.class, () -> BootImage.detect(new byte[1000]));
        assertEquals("unrecognised boot image of 1000 bytes: not a Linux bzImage, not an ELF kernel, and not a BIOS image"
                + " (a multiple of 64 KiB)", e.getMessage());
        GuestMemory mem = BootFixtures.memory(16 * MIB);
        assertEquals("vCPU count 0 is outside 1..254", assertThrows(BootException.class,
                () -> BootImage.load(mem, new byte[65536], 16 * MIB, 0, null, null)).getMessage());
    }
}
