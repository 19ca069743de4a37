package vmd.vm.boot;

import java.util.ArrayList;
import java.util.List;
import vmd.memory.MemoryRegion;

/**
 * The guest-physical map of the machine, in one place: where RAM is, where the holes are,
 * where the boot structures go, and the ACPI PM hardware numbers the tables advertise.
 *
 * <pre>
 * 0x0000_0000  real-mode IVT + BIOS data area (left zero)
 * 0x0000_0500  GDT (6 slots: null, null, 0x10 code, 0x18 data, 0x20 TSS (16 bytes in long mode))
 * 0x0000_0530  IDT (empty, limit 0)
 * 0x0000_0540  TSS for TR (104 bytes of zeros; never used before the kernel loads its own)
 * 0x0000_6000  boot stack page; RSP starts at 0x7000 and grows down (direct boot)
 * 0x0000_7000  boot_params / zero page (bzImage) or hvm_start_info + modlist + memmap (PVH)
 * 0x0000_8000  left untouched (the test guest's AP trampoline)
 * 0x0000_9000  PML4, 0xA000 PDPT, 0xB000-0xEFFF four PDs: 4 GiB identity map in 2 MiB pages
 * 0x0002_0000  kernel command line (NUL-terminated, at most 64 KiB)
 * 0x0009_FC00  "EBDA" stub, reserved in e820
 * 0x000A_0000  VGA hole / legacy ROM area (no RAM is advertised; memory is still backed)
 * 0x000E_0000  ACPI tables (RSDP at 0xE0000) -- direct boot only; SeaBIOS's image in firmware boot
 * 0x000F_0000  MP floating pointer + configuration table -- direct boot only
 * 0x0010_0000  kernel (bzImage protected-mode part, 64-bit entry at +0x200)
 * ...          initrd at the top of low RAM (below initrd_addr_max)
 * 0xC000_0000  PCI MMIO hole (32-bit BARs) up to 0xFEC0_0000
 * 0xFEC0_0000  IOAPIC;  0xFEE0_0000 LAPIC
 * 0xFFFB_C000  KVM identity-map page; 0xFFFB_D000 KVM TSS (3 pages)
 * 4 GiB - size firmware flash (read-only; at most 256 KiB so it stays above KVM's TSS pages)
 * 0x1_0000_0000 RAM above 4 GiB
 * </pre>
 */
public final class MemoryMap {
    private MemoryMap() {}

    public static final long KIB = 1024, MIB = 1024 * KIB, GIB = 1024 * MIB;

    // ---- RAM and holes ----
    /** RAM below 4 GiB ends here at most; the rest of RAM moves above 4 GiB. */
    public static final long LOW_RAM_MAX = 0xC000_0000L;
    public static final long HIGH_RAM_START = 0x1_0000_0000L;
    public static final long PCI_MMIO_START = 0xC000_0000L;
    /** End (exclusive) of the 32-bit PCI MMIO window. */
    public static final long PCI_MMIO_END = 0xFEC0_0000L;
    public static final long IOAPIC_ADDRESS = 0xFEC0_0000L;
    public static final long LAPIC_ADDRESS = 0xFEE0_0000L;
    /** KVM_SET_TSS_ADDR: three pages (same value as vmd.vm.kvm.KvmVm.TSS_ADDRESS). */
    public static final long KVM_TSS_ADDRESS = 0xFFFB_D000L;
    /** KVM_SET_IDENTITY_MAP_ADDR: one page (same value as vmd.vm.kvm.KvmVm.IDENTITY_MAP_ADDRESS). */
    public static final long KVM_IDENTITY_MAP_ADDRESS = 0xFFFB_C000L;
    /** Firmware flash ends at 4 GiB; it starts at 4 GiB minus its size. */
    public static final long FLASH_END = 0x1_0000_0000L;

    // ---- legacy low memory ----
    public static final long EBDA_START = 0x9_FC00L;
    public static final long VGA_START = 0xA_0000L;
    /** The legacy BIOS area (RAM here, reserved in e820): ACPI + MP tables, or SeaBIOS's image. */
    public static final long BIOS_AREA_START = 0xE_0000L;
    public static final long BIOS_AREA_END = 0x10_0000L;

    // ---- direct-boot structures ----
    public static final long GDT_ADDRESS = 0x500;
    /** Null, null, code 0x10, data 0x18, and a 16-byte TSS descriptor at 0x20. */
    public static final int GDT_SIZE = 6 * 8;
    public static final long IDT_ADDRESS = GDT_ADDRESS + GDT_SIZE;
    public static final int IDT_LIMIT = 0;
    public static final long TSS_ADDRESS = 0x540;
    public static final int TSS_LIMIT = 0x67;
    public static final int SELECTOR_CODE = 0x10, SELECTOR_DATA = 0x18, SELECTOR_TSS = 0x20;
    /** Initial RSP/ESP for direct boot: top of the page [0x6000, 0x7000), 16-byte aligned. */
    public static final long BOOT_STACK_TOP = 0x7000;
    public static final long ZERO_PAGE_ADDRESS = 0x7000;
    /** PVH: hvm_start_info sits where the zero page would be; module list and memory map follow. */
    public static final long PVH_START_INFO_ADDRESS = 0x7000;
    public static final long PVH_MODLIST_ADDRESS = 0x7040;
    public static final long PVH_MEMMAP_ADDRESS = 0x7080;
    /** Page [0x8000, 0x9000) is never written by boot: the test guest keeps its AP trampoline there. */
    public static final long RESERVED_FOR_GUEST_TRAMPOLINE = 0x8000;
    public static final long PML4_ADDRESS = 0x9000;
    public static final long PDPT_ADDRESS = 0xA000;
    public static final long PD_ADDRESS = 0xB000;
    public static final int PD_COUNT = 4;
    public static final long CMDLINE_ADDRESS = 0x2_0000L;
    /** Most bytes of command line (without its NUL) the area [0x20000, 0x30000) holds. */
    public static final int CMDLINE_MAX = 0xFFFF;
    public static final long KERNEL_ADDRESS = 0x10_0000L;

    // ---- ACPI and MP tables (direct boot) ----
    public static final long ACPI_AREA_START = 0xE_0000L;
    public static final long ACPI_AREA_END = 0xF_0000L;
    public static final long RSDP_ADDRESS = 0xE_0000L;
    public static final long MPTABLE_AREA_START = 0xF_0000L;
    public static final long MPTABLE_AREA_END = 0x10_0000L;

    // ---- ACPI PM hardware (implemented by the acpi pm device; advertised in the FADT) ----
    public static final int PM1A_EVT_BLK = 0x600, PM1_EVT_LEN = 4;
    public static final int PM1A_CNT_BLK = 0x604, PM1_CNT_LEN = 2;
    public static final int PM_TMR_BLK = 0x608, PM_TMR_LEN = 4;
    public static final int GPE0_BLK = 0x620, GPE0_BLK_LEN = 4;
    /** SCI: ISA IRQ 9 = GSI 9, level-triggered, active high (MADT interrupt source override). */
    public static final int SCI_IRQ = 9;
    /** No SMM: SMI_CMD 0 tells the OS ACPI is always enabled (PM1_CNT.SCI_EN should read 1). */
    public static final int SMI_CMD = 0;
    /** \_S5 SLP_TYPa (and SLP_TYPb): PM1_CNT bits 12:10 = 5 with SLP_EN (bit 13) means power off. */
    public static final int SLP_TYP_S5 = 5;
    /**
     * FADT RESET_REG: the 8042's pulse-reset command, I/O port 0x64 value 0xFE, the same
     * write Linux falls back to without ACPI; the i8042 device already implements it.
     */
    public static final int RESET_REG_PORT = 0x64;
    public static final int RESET_VALUE = 0xFE;
    /** FADT CENTURY: the CMOS register holding the BCD century. */
    public static final int CMOS_CENTURY = 0x32;

    // ---- interrupts ----
    /** IOAPIC GSI a PCI INTx pin lands on: slot 1..31 on bus 0, pin 0 = INTA. Level, active low. */
    public static int pciIntxGsi(int slot, int pin) {
        if (slot < 0 || slot > 31 || pin < 0 || pin > 3) throw new IllegalArgumentException("bad slot/pin " + slot + "/" + pin);
        return 16 + ((slot + pin) % 4);
    }

    /** The PIT's ISA IRQ 0 arrives on IOAPIC pin 2 (override in MADT and MP table). */
    public static final int PIT_GSI = 2;
    public static final int IOAPIC_PINS = 24;
    /** Most vCPUs the tables describe: xAPIC ids 0..n-1 and the IOAPIC id n must fit in 0..254. */
    public static final int MAX_CPUS = 254;

    // ---- RAM layout ----
    /** End (exclusive) of RAM below 4 GiB for a guest with {@code ramSize} bytes of RAM. */
    public static long lowRamEnd(long ramSize) {
        return Math.min(ramSize, LOW_RAM_MAX);
    }

    /** Bytes of RAM placed at 4 GiB and above. */
    public static long highRamSize(long ramSize) {
        return Math.max(0, ramSize - LOW_RAM_MAX);
    }

    /**
     * The RAM regions for {@link vmd.memory.GuestMemory#create}: low RAM at 0 (file offset 0)
     * and, for more than 3 GiB, the rest at 4 GiB (file offset 3 GiB).
     */
    public static List<MemoryRegion> ramRegions(long ramSize) {
        checkRamSize(ramSize);
        List<MemoryRegion> regions = new ArrayList<>();
        regions.add(new MemoryRegion(0, lowRamEnd(ramSize), 0));
        if (highRamSize(ramSize) > 0) regions.add(new MemoryRegion(HIGH_RAM_START, highRamSize(ramSize), LOW_RAM_MAX));
        return regions;
    }

    /** The least RAM the boot layout works with: boot structures, BIOS area and 1 MiB of kernel room. */
    public static final long MIN_RAM = 2 * MIB;

    static void checkRamSize(long ramSize) {
        if (ramSize < MIN_RAM) throw new BootException("guest RAM of " + ramSize + " bytes is below the minimum of " + MIN_RAM);
        if ((ramSize & 0xFFF) != 0) throw new BootException("guest RAM size " + ramSize + " is not a multiple of 4 KiB");
    }

    /** The e820 map the guest is told about (bzImage boot_params, PVH memmap). */
    public static List<E820Entry> e820(long ramSize) {
        checkRamSize(ramSize);
        List<E820Entry> map = new ArrayList<>();
        map.add(new E820Entry(0, EBDA_START, E820Entry.RAM));
        map.add(new E820Entry(EBDA_START, VGA_START - EBDA_START, E820Entry.RESERVED));
        map.add(new E820Entry(BIOS_AREA_START, BIOS_AREA_END - BIOS_AREA_START, E820Entry.RESERVED));
        long low = lowRamEnd(ramSize);
        if (low > KERNEL_ADDRESS) map.add(new E820Entry(KERNEL_ADDRESS, low - KERNEL_ADDRESS, E820Entry.RAM));
        long high = highRamSize(ramSize);
        if (high > 0) map.add(new E820Entry(HIGH_RAM_START, high, E820Entry.RAM));
        return map;
    }
}
