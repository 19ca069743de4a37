package vmd.vm.boot;

import static org.junit.jupiter.api.Assertions.*;
import static vmd.vm.boot.BootFixtures.MIB;

import java.nio.file.Files;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import vmd.memory.GuestMemory;

class FirmwareTest {
    static byte[] rom(int size) {
        byte[] r = new byte[size];
        for (int i = 0; i < size; i++) r[i] = (byte) (i >> 8 ^ i);
        return r;
    }

    @Test
    void bios_128k_fills_the_legacy_area_and_maps_below_4g() {
        byte[] image = rom(128 * 1024);
        GuestMemory mem = BootFixtures.memory(16 * MIB);
        BootImage.Plan plan = BootImage.load(mem, image, 16 * MIB, 1, LinuxBoot.DEFAULT_CMDLINE, null);
        assertEquals(BootImage.Kind.FIRMWARE, plan.kind());
        assertSame(VcpuSetup.ARCHITECTURAL_RESET, plan.bsp());
        Firmware fw = plan.flash().orElseThrow();
        assertEquals(0xFFFE_0000L, fw.flashAddress());
        assertArrayEquals(image, fw.image());
        assertArrayEquals(image, mem.read(0xE0000, 128 * 1024));
        assertTrue(plan.acpi().isEmpty() && plan.mpTable().isEmpty());
    }

    @Test
    void bios_256k_copies_only_its_last_128k() {
        byte[] image = rom(256 * 1024);
        GuestMemory mem = BootFixtures.memory(16 * MIB);
        Firmware fw = Firmware.parse(image);
        fw.load(mem);
        assertEquals(0xFFFC_0000L, fw.flashAddress());
        assertTrue(fw.flashAddress() >= MemoryMap.KVM_TSS_ADDRESS + 3 * 4096, "flash clears KVM's TSS pages");
        assertArrayEquals(Arrays.copyOfRange(image, 128 * 1024, 256 * 1024), mem.read(0xE0000, 128 * 1024));
    }

    @Test
    void bad_sizes() {
        assertEquals("firmware image of 100000 bytes is not a multiple of 64 KiB",
                assertThrows(BootException.class, () -> Firmware.parse(new byte[100000])).getMessage());
        assertEquals("firmware image of 512 KiB is larger than the 256 KiB flash window",
                assertThrows(BootException.class, () -> Firmware.parse(new byte[512 * 1024])).getMessage());
        GuestMemory mem = BootFixtures.memory(16 * MIB);
        assertEquals("an initrd needs a kernel image, not firmware", assertThrows(BootException.class,
                () -> BootImage.load(mem, rom(65536), 16 * MIB, 1, "", new byte[1])).getMessage());
    }

    /** Debian's SeaBIOS: accepted as is, reset vector (a far jump) lands at 0xFFFF0 in RAM. */
    @Test
    void real_seabios() throws Exception {
        var path = Firmware.findSeaBios();
        BootFixtures.require(path.isPresent(), "SeaBIOS (install Debian's seabios package)");
        byte[] image = Files.readAllBytes(path.get());
        assertEquals(BootImage.Kind.FIRMWARE, BootImage.detect(image));
        GuestMemory mem = BootFixtures.memory(64 * MIB);
        BootImage.Plan plan = BootImage.load(mem, image, 64 * MIB, 2, null, null);
        assertEquals(0x1_0000_0000L - image.length, plan.flash().orElseThrow().flashAddress());
        assertEquals((byte) 0xEA, mem.getByte(0xFFFF0), "jmp far at the reset vector");
        assertArrayEquals(Arrays.copyOfRange(image, image.length - 16, image.length), mem.read(0xFFFF0, 16));
    }
}
