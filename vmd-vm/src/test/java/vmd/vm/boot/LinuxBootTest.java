package vmd.vm.boot;

import static org.junit.jupiter.api.Assertions.*;
import static vmd.vm.boot.BootFixtures.MIB;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import vmd.memory.GuestMemory;
import vmd.vm.boot.CpuState.SegmentState;

class LinuxBootTest {
    static final long RAM = 64 * MIB;

    @Test
    void synthetic_bzimage_is_laid_out_per_the_64bit_protocol() {
        BootFixtures.Kernel k = new BootFixtures.Kernel();
        byte[] image = k.build();
        byte[] initrd = new byte[(int) MIB + 123];
        Arrays.fill(initrd, (byte) 0x5A);
        {
            GuestMemory mem = BootFixtures.memory(RAM);
            byte[] trampoline = new byte[4096];
            Arrays.fill(trampoline, (byte) 0xC3);
            mem.write(0x8000, trampoline);

            BootImage.Plan plan = BootImage.load(mem, image, RAM, 2, "console=ttyS0 root=/dev/vda", initrd);
            assertEquals(BootImage.Kind.BZIMAGE, plan.kind());
            LinuxBoot.Result r = plan.linux().orElseThrow();

            // kernel
            assertArrayEquals(k.payload(), mem.read(0x100000, k.payloadSize));
            assertEquals(0x100000, r.kernelAddress());
            assertEquals(0x100_0000L + 0x80_0000L, r.kernelRamEnd());

            // zero page: copied header + loader fields
            long zp = 0x7000;
            assertEquals((short) 0xAA55, mem.getShort(zp + 0x1FE));
            assertEquals(0x53726448, mem.getInt(zp + 0x202));
            assertEquals(0x020F, mem.getShort(zp + 0x206));
            assertEquals((byte) 0xFF, mem.getByte(zp + 0x210));
            assertEquals(BzImage.LOADED_HIGH, mem.getByte(zp + 0x211) & 0xFF);
            assertEquals(0x20000, mem.getInt(zp + 0x228));
            assertEquals(0, mem.getInt(zp + 0xC8));
            assertEquals(2047, mem.getInt(zp + 0x238));
            assertEquals(0x100_0000L, mem.getLong(zp + 0x258));
            assertEquals(0xE0000L, mem.getLong(zp + 0x70), "acpi_rsdp_addr");
            assertEquals(0, mem.getByte(zp + 0x1EF), "sentinel");
            // nothing past the header end (0x26C) was copied
            assertEquals(0, mem.getInt(zp + 0x26C));

            // command line
            byte[] cmd = "console=ttyS0 root=/dev/vda".getBytes(StandardCharsets.US_ASCII);
            assertArrayEquals(cmd, mem.read(0x20000, cmd.length));
            assertEquals(0, mem.getByte(0x20000 + cmd.length));

            // initrd: highest page-aligned spot below 64 MiB
            long addr = Integer.toUnsignedLong(mem.getInt(zp + 0x218));
            assertEquals(initrd.length, mem.getInt(zp + 0x21C));
            assertEquals(0, mem.getInt(zp + 0xC0));
            assertEquals(0, mem.getInt(zp + 0xC4));
            assertEquals(0, addr % 4096);
            assertEquals((RAM - initrd.length) & ~4095L, addr);
            assertTrue(addr + initrd.length <= RAM && addr + initrd.length > RAM - 4096);
            assertArrayEquals(initrd, mem.read(addr, initrd.length));
            assertEquals(addr, r.initrdAddress());

            // e820
            assertEquals(4, mem.getByte(zp + 0x1E8));
            long[][] expect = {{0, 0x9FC00, 1}, {0x9FC00, 0x400, 2}, {0xE0000, 0x20000, 2}, {0x100000, RAM - 0x100000, 1}};
            for (int i = 0; i < expect.length; i++) {
                long e = zp + 0x2D0 + i * 20L;
                assertEquals(expect[i][0], mem.getLong(e), "e820[" + i + "].addr");
                assertEquals(expect[i][1], mem.getLong(e + 8), "e820[" + i + "].size");
                assertEquals(expect[i][2], mem.getInt(e + 16), "e820[" + i + "].type");
            }

            // page tables
            assertEquals(0xA003L, mem.getLong(0x9000));
            assertEquals(0, mem.getLong(0x9008));
            for (int i = 0; i < 4; i++) assertEquals(0xB003L + i * 0x1000L, mem.getLong(0xA000 + i * 8L));
            assertEquals(0, mem.getLong(0xA000 + 4 * 8));
            assertEquals(0x83L, mem.getLong(0xB000));                             // 0 -> 0
            assertEquals(0x20_0083L, mem.getLong(0xB008));                        // 2 MiB
            assertEquals(0x4020_0083L, mem.getLong(0xC008));                      // 1 GiB + 2 MiB
            assertEquals(0xFEE0_0083L, mem.getLong(0xE000 + 0x1F7 * 8L));        // LAPIC page
            assertEquals(0xFFE0_0083L, mem.getLong(0xE000 + 511 * 8L));          // last 2 MiB below 4 GiB

            // GDT
            assertEquals(0, mem.getLong(0x500));
            assertEquals(0, mem.getLong(0x508));
            assertEquals(0x00AF_9B00_0000_FFFFL, mem.getLong(0x510));
            assertEquals(0x00CF_9300_0000_FFFFL, mem.getLong(0x518));
            assertEquals(0x0000_8B00_0540_0067L, mem.getLong(0x520));
            assertEquals(0, mem.getLong(0x528));

            // CPU state
            CpuState c = (CpuState) plan.bsp();
            assertEquals(CpuState.Mode.LONG_64, c.mode());
            assertEquals(0x100200, c.rip());
            assertEquals(0x7000, c.rsi());
            assertEquals(0x7000, c.rsp());
            assertEquals(2, c.rflags());
            assertEquals(0x8000_0031L, c.cr0());
            assertEquals(0x9000, c.cr3());
            assertEquals(0x20, c.cr4());
            assertEquals(0x500, c.efer());
            assertEquals(new SegmentState(0, 0xFFFFFFFF, 0x10, 0xB, true, 0, false, true, true, true, false), c.cs());
            for (SegmentState s : List.of(c.ds(), c.es(), c.fs(), c.gs(), c.ss())) {
                assertEquals(new SegmentState(0, 0xFFFFFFFF, 0x18, 0x3, true, 0, true, true, false, true, false), s);
            }
            assertEquals(new SegmentState(0x540, 0x67, 0x20, 0xB, true, 0, false, false, false, false, false), c.tr());
            assertEquals(0x2, c.ldt().type());
            assertEquals(0x500, c.gdtBase());
            assertEquals(47, c.gdtLimit());
            assertEquals(0x530, c.idtBase());
            assertEquals(0, c.idtLimit());
            // The descriptors in memory are the ones the CpuState describes.
            assertEquals(c.cs().descriptor(), mem.getLong(0x500 + c.cs().selector()));
            assertEquals(c.ds().descriptor(), mem.getLong(0x500 + c.ds().selector()));

            // the test guest's trampoline page is untouched
            assertArrayEquals(trampoline, mem.read(0x8000, 4096));
        }
    }

    @Test
    void no_initrd_leaves_ramdisk_fields_zero() {
        GuestMemory mem = BootFixtures.memory(RAM);
        LinuxBoot.Result r = LinuxBoot.load(mem, RAM, BzImage.parse(new BootFixtures.Kernel().build()),
                LinuxBoot.DEFAULT_CMDLINE, null, 0);
        assertEquals(0, r.initrdAddress());
        assertEquals(0, mem.getInt(0x7000 + 0x218));
        assertEquals(0, mem.getInt(0x7000 + 0x21C));
        assertEquals(0, mem.getLong(0x7000 + 0x70));
        assertEquals("console=ttyS0", new String(mem.read(0x20000, 13), StandardCharsets.US_ASCII));
    }

    @Test
    void initrd_respects_initrd_addr_max() {
        long ram = 1024 * MIB;
        BootFixtures.Kernel k = new BootFixtures.Kernel();
        k.initrdAddrMax = 0x37FF_FFFFL;
        GuestMemory mem = BootFixtures.memory(ram);
        LinuxBoot.Result r = LinuxBoot.load(mem, ram, BzImage.parse(k.build()), "", new byte[10_000], 0);
        assertEquals((0x3800_0000L - 10_000) & ~4095L, r.initrdAddress());
        assertTrue(r.initrdAddress() + 10_000 - 1 <= 0x37FF_FFFFL);
    }

    @Test
    void ram_above_3g_moves_to_4g_in_e820() {
        long ram = 3 * 1024 * MIB + 256 * MIB;
        GuestMemory mem = BootFixtures.memory(ram);
        assertEquals(2, mem.regions().size());
        LinuxBoot.Result r = LinuxBoot.load(mem, ram, BzImage.parse(new BootFixtures.Kernel().build()), "", new byte[4096], 0);
        assertEquals(List.of(new E820Entry(0, 0x9FC00, 1), new E820Entry(0x9FC00, 0x400, 2), new E820Entry(0xE0000, 0x20000, 2),
                new E820Entry(0x100000, 0xC000_0000L - 0x100000, 1), new E820Entry(0x1_0000_0000L, 256 * MIB, 1)), r.e820());
        assertEquals(5, mem.getByte(0x7000 + 0x1E8));
        assertEquals(0x1_0000_0000L, mem.getLong(0x7000 + 0x2D0 + 4 * 20));
        // initrd stays below the PCI hole and below initrd_addr_max (2 GiB)
        assertEquals(0x8000_0000L - 4096, r.initrdAddress());
    }

    @Test
    void initrd_too_big() {
        GuestMemory mem = BootFixtures.memory(RAM);
        BzImage k = BzImage.parse(new BootFixtures.Kernel().build());
        BootException e = assertThrows(BootException.class,
                () -> LinuxBoot.load(mem, RAM, k, "", new byte[(int) (48 * MIB)], 0));
        assertEquals("initrd of 50331648 bytes does not fit in guest RAM: only 41943040 bytes are free between the kernel"
                + " (ends 0x1800000) and 0x4000000", e.getMessage());
    }

    @Test
    void cmdline_too_long() {
        GuestMemory mem = BootFixtures.memory(RAM);
        BzImage k = BzImage.parse(new BootFixtures.Kernel().build());
        BootException e = assertThrows(BootException.class, () -> LinuxBoot.load(mem, RAM, k, "x".repeat(2048), null, 0));
        assertEquals("kernel command line is 2048 bytes long; this kernel accepts at most 2047", e.getMessage());
        LinuxBoot.load(mem, RAM, k, "x".repeat(2047), null, 0); // exactly the limit is fine
        assertEquals(0, mem.getByte(0x20000 + 2047));
    }

    @Test
    void kernel_larger_than_ram() {
        long ram = 16 * MIB;
        GuestMemory mem = BootFixtures.memory(ram);
        BzImage k = BzImage.parse(new BootFixtures.Kernel().build());
        BootException e = assertThrows(BootException.class, () -> LinuxBoot.load(mem, ram, k, "", null, 0));
        assertEquals("kernel does not fit in guest RAM: it needs memory up to 0x1800000 (24 MiB, init_size 0x800000),"
                + " the guest has 16 MiB", e.getMessage());
    }

    @Test
    void non_relocatable_kernel_runs_at_pref_address() {
        BootFixtures.Kernel k = new BootFixtures.Kernel();
        k.relocatable = false;
        k.prefAddress = 0x200_0000L;
        BzImage img = BzImage.parse(k.build());
        assertEquals(0x200_0000L + 0x80_0000L, LinuxBoot.kernelRamEnd(img, k.payloadSize));
    }
}
