package vmd.vm.boot;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BzImageTest {
    @Test
    void parses_header_fields() {
        BootFixtures.Kernel k = new BootFixtures.Kernel();
        k.setupSects = 0; // means 4
        BzImage b = BzImage.parse(k.build());
        assertEquals(4, b.setupSects());
        assertEquals(5 * 512, b.setupSize());
        assertEquals(0x100, b.syssize());
        assertEquals(0x020F, b.version());
        assertEquals(0x20_0000, b.kernelAlignment());
        assertTrue(b.relocatable());
        assertEquals(0x100_0000L, b.prefAddress());
        assertEquals(0x80_0000L, b.initSize());
        assertEquals(2047, b.cmdlineSize());
        assertEquals(0x7FFF_FFFFL, b.initrdAddrMax());
        assertTrue(b.canBeLoadedAbove4G());
        assertEquals(0x26C, b.headerEnd());
        assertEquals(0x26C - 0x1F1, b.setupHeader().length);
        assertArrayEquals(k.payload(), b.protectedModeKernel());
    }

    @Test
    void not_a_bzimage() {
        byte[] junk = new byte[8192];
        Arrays.fill(junk, (byte) 0x90);
        BootException e = assertThrows(BootException.class, () -> BzImage.parse(junk));
        assertEquals("not a bzImage: no Linux setup header (boot flag 0xAA55 and \"HdrS\" magic)", e.getMessage());
    }

    @Test
    void protocol_too_old() {
        BootFixtures.Kernel k = new BootFixtures.Kernel();
        k.version = 0x020A;
        BootException e = assertThrows(BootException.class, () -> BzImage.parse(k.build()));
        assertEquals("bzImage boot protocol 2.10 is too old: 64-bit boot needs 2.12 or later", e.getMessage());
    }

    @Test
    void no_64bit_entry() {
        BootFixtures.Kernel k = new BootFixtures.Kernel();
        k.xloadflags = 0;
        BootException e = assertThrows(BootException.class, () -> BzImage.parse(k.build()));
        assertEquals("bzImage does not support the 64-bit entry point (XLF_KERNEL_64 not set in xloadflags)", e.getMessage());
    }

    @Test
    void not_loaded_high() {
        BootFixtures.Kernel k = new BootFixtures.Kernel();
        k.loadflags = 0;
        BootException e = assertThrows(BootException.class, () -> BzImage.parse(k.build()));
        assertEquals("bzImage is not loadable at 1 MiB (LOADED_HIGH not set: a zImage)", e.getMessage());
    }

    @Test
    void truncated_kernel() {
        byte[] full = new BootFixtures.Kernel().build();
        byte[] cut = Arrays.copyOf(full, full.length - 16);
        BootException e = assertThrows(BootException.class, () -> BzImage.parse(cut));
        assertEquals("bzImage truncated: 5104 bytes, the header promises 5120 (1024 setup + 4096 kernel)", e.getMessage());
    }

    @Test
    void truncated_header() {
        byte[] cut = Arrays.copyOf(new BootFixtures.Kernel().build(), 0x240);
        BootException e = assertThrows(BootException.class, () -> BzImage.parse(cut));
        assertEquals("bzImage truncated: 576 bytes, the setup header alone needs 612", e.getMessage());
    }
}
