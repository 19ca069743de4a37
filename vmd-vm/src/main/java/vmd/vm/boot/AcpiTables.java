package vmd.vm.boot;

import static vmd.vm.boot.MemoryMap.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import vmd.memory.GuestMemory;

/**
 * The ACPI tables of a direct boot, written into [0xE0000, 0xF0000): RSDP (revision 2, at
 * 0xE0000 so the legacy 16-byte-step scan finds it), RSDT, XSDT, FADT (revision 6), FACS,
 * MADT and a DSDT of static objects (PCI host bridge with _CRS and _PRT, COM1, RTC, \_S5).
 *
 * <p>What the OS learns: one enabled local APIC per vCPU (APIC ids 0..n-1), one IOAPIC
 * (id n, GSI base 0) with ISA IRQ 0 -> GSI 2 and the SCI on IRQ 9 (level, active high),
 * LINT1 as NMI, ACPI always enabled (SMI_CMD 0), the PM1a/PM timer/GPE0 blocks of
 * {@link MemoryMap}, a fixed-feature power button, and reset by the 8042 command 0xFE.
 */
public final class AcpiTables {
    private AcpiTables() {}

    public static final String OEM_ID = "VMDLNX";
    public static final String CREATOR_ID = "VMDJ";
    public static final int HEADER_SIZE = 36;
    public static final int RSDP_SIZE = 36;
    public static final int FADT_REVISION = 6, FADT_SIZE = 276;
    public static final int MADT_REVISION = 4;
    public static final int FACS_SIZE = 64;

    // FADT flags.
    public static final int FADT_WBINVD = 1, FADT_PROC_C1 = 1 << 2, FADT_PWR_BUTTON = 1 << 4, FADT_SLP_BUTTON = 1 << 5,
            FADT_FIX_RTC = 1 << 6, FADT_RESET_REG_SUP = 1 << 10;
    // IAPC_BOOT_ARCH: legacy (ISA/LPC) devices present, no 8042 to probe, no VGA.
    public static final int IAPC_LEGACY_DEVICES = 1, IAPC_8042 = 1 << 1, IAPC_VGA_NOT_PRESENT = 1 << 2;
    // MADT entry types and MPS INTI flags.
    static final int MADT_LOCAL_APIC = 0, MADT_IOAPIC = 1, MADT_INT_SRC_OVERRIDE = 2, MADT_LOCAL_APIC_NMI = 4;
    static final int MPS_ACTIVE_HIGH = 0x1, MPS_LEVEL = 0xC;
    static final int MADT_PCAT_COMPAT = 1;
    static final int GAS_SYSTEM_IO = 1;

    /** Where each table went. */
    public record Layout(long rsdp, long rsdt, long xsdt, long fadt, long facs, long madt, long dsdt, long end) {}

    /** Builds every table for {@code cpus} vCPUs and writes them at their addresses. */
    public static Layout write(GuestMemory mem, int cpus) {
        checkCpus(cpus);
        byte[] dsdt = dsdt();
        byte[] madt = madt(cpus);
        Allocator a = new Allocator(ACPI_AREA_START);
        long rsdp = a.take(RSDP_SIZE, 16);
        long rsdt = a.take(HEADER_SIZE + 2 * 4, 16);
        long xsdt = a.take(HEADER_SIZE + 2 * 8, 16);
        long fadt = a.take(FADT_SIZE, 16);
        long facs = a.take(FACS_SIZE, 64);
        long madtAt = a.take(madt.length, 16);
        long dsdtAt = a.take(dsdt.length, 16);
        if (a.next > ACPI_AREA_END) throw new BootException("ACPI tables do not fit below 0xF0000");
        if (rsdp != RSDP_ADDRESS) throw new IllegalStateException("RSDP moved");

        mem.write(ACPI_AREA_START, new byte[(int) (a.next - ACPI_AREA_START)]);
        mem.write(dsdtAt, dsdt);
        mem.write(madtAt, madt);
        mem.write(facs, facs());
        mem.write(fadt, fadt(facs, dsdtAt));
        mem.write(rsdt, rsdt(fadt, madtAt));
        mem.write(xsdt, xsdt(fadt, madtAt));
        mem.write(rsdp, rsdp(rsdt, xsdt));
        return new Layout(rsdp, rsdt, xsdt, fadt, facs, madtAt, dsdtAt, a.next);
    }

    static void checkCpus(int cpus) {
        if (cpus < 1 || cpus > MAX_CPUS) throw new BootException("vCPU count " + cpus + " is outside 1.." + MAX_CPUS);
    }

    /** The IOAPIC's id in MADT and MP table: the first id after the CPUs' APIC ids. */
    public static int ioapicId(int cpus) {
        return cpus;
    }

    // ---------------------------------------------------------------- RSDP, RSDT, XSDT

    static byte[] rsdp(long rsdt, long xsdt) {
        ByteBuffer b = le(RSDP_SIZE);
        b.put("RSD PTR ".getBytes(StandardCharsets.US_ASCII));
        b.put(8, (byte) 0); // checksum of the first 20 bytes, below
        b.position(9);
        b.put(OEM_ID.getBytes(StandardCharsets.US_ASCII));
        b.put((byte) 2); // revision 2: ACPI 2.0+, XSDT present
        b.putInt((int) rsdt);
        b.putInt(RSDP_SIZE);
        b.putLong(xsdt);
        byte[] out = b.array();
        out[8] = checksum(out, 0, 20);
        out[32] = checksum(out, 0, RSDP_SIZE);
        return out;
    }

    static byte[] rsdt(long... tables) {
        ByteBuffer b = header("RSDT", HEADER_SIZE + 4 * tables.length, 1);
        for (long t : tables) b.putInt((int) t);
        return finish(b);
    }

    static byte[] xsdt(long... tables) {
        ByteBuffer b = header("XSDT", HEADER_SIZE + 8 * tables.length, 1);
        for (long t : tables) b.putLong(t);
        return finish(b);
    }

    // ---------------------------------------------------------------- FADT, FACS

    static byte[] fadt(long facs, long dsdt) {
        ByteBuffer b = header("FACP", FADT_SIZE, FADT_REVISION);
        b.putInt(36, (int) facs);                 // FIRMWARE_CTRL (the FACS is below 4 GiB)
        b.putInt(40, (int) dsdt);                 // DSDT
        b.put(45, (byte) 0);                      // Preferred_PM_Profile: unspecified
        b.putShort(46, (short) SCI_IRQ);          // SCI_INT
        b.putInt(48, SMI_CMD);                    // SMI_CMD 0: no SMM, ACPI mode always on
        b.putInt(56, PM1A_EVT_BLK);
        b.putInt(64, PM1A_CNT_BLK);
        b.putInt(76, PM_TMR_BLK);
        b.putInt(80, GPE0_BLK);
        b.put(88, (byte) PM1_EVT_LEN);
        b.put(89, (byte) PM1_CNT_LEN);
        b.put(91, (byte) PM_TMR_LEN);
        b.put(92, (byte) GPE0_BLK_LEN);
        b.putShort(96, (short) 0x0FFF);          // P_LVL2_LAT > 100: no C2
        b.putShort(98, (short) 0x0FFF);          // P_LVL3_LAT > 1000: no C3
        b.put(108, (byte) CMOS_CENTURY);          // CENTURY
        b.putShort(109, (short) (IAPC_LEGACY_DEVICES | IAPC_VGA_NOT_PRESENT)); // IAPC_BOOT_ARCH
        b.putInt(112, FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON | FADT_FIX_RTC | FADT_RESET_REG_SUP);
        gas(b, 116, GAS_SYSTEM_IO, 8, 1, RESET_REG_PORT); // RESET_REG
        b.put(128, (byte) RESET_VALUE);
        b.put(131, (byte) 0);                     // FADT minor version: ACPI 6.0
        // X_FIRMWARE_CTRL stays 0: the spec allows only one FACS pointer (Linux lists the FACS twice otherwise).
        b.putLong(140, dsdt);                     // X_DSDT
        gas(b, 148, GAS_SYSTEM_IO, PM1_EVT_LEN * 8, 0, PM1A_EVT_BLK);
        gas(b, 172, GAS_SYSTEM_IO, PM1_CNT_LEN * 8, 0, PM1A_CNT_BLK);
        gas(b, 208, GAS_SYSTEM_IO, PM_TMR_LEN * 8, 0, PM_TMR_BLK);
        gas(b, 220, GAS_SYSTEM_IO, GPE0_BLK_LEN * 8, 0, GPE0_BLK);
        b.put(268, "VMDLINUX".getBytes(StandardCharsets.US_ASCII)); // hypervisor vendor identity
        return finish(b);
    }

    /** Generic Address Structure: space id, bit width, bit offset, access size, address. */
    private static void gas(ByteBuffer b, int at, int space, int bitWidth, int accessSize, long address) {
        b.put(at, (byte) space);
        b.put(at + 1, (byte) bitWidth);
        b.put(at + 2, (byte) 0);
        b.put(at + 3, (byte) accessSize);
        b.putLong(at + 4, address);
    }

    static byte[] facs() {
        ByteBuffer b = le(FACS_SIZE);
        b.put("FACS".getBytes(StandardCharsets.US_ASCII));
        b.putInt(4, FACS_SIZE);
        b.put(32, (byte) 2); // version
        return b.array();
    }

    // ---------------------------------------------------------------- MADT

    static byte[] madt(int cpus) {
        checkCpus(cpus);
        int size = HEADER_SIZE + 8 + cpus * 8 + 12 + 2 * 10 + 6;
        ByteBuffer b = header("APIC", size, MADT_REVISION);
        b.position(HEADER_SIZE);
        b.putInt((int) LAPIC_ADDRESS);
        b.putInt(MADT_PCAT_COMPAT); // the 8259s exist (KVM's in-kernel PIC); the OS masks them
        for (int i = 0; i < cpus; i++) {
            b.put((byte) MADT_LOCAL_APIC).put((byte) 8).put((byte) i).put((byte) i).putInt(1); // uid i, APIC id i, enabled
        }
        b.put((byte) MADT_IOAPIC).put((byte) 12).put((byte) ioapicId(cpus)).put((byte) 0)
                .putInt((int) IOAPIC_ADDRESS).putInt(0);
        // ISA IRQ 0 (PIT) -> GSI 2, bus-default (edge, active high).
        b.put((byte) MADT_INT_SRC_OVERRIDE).put((byte) 10).put((byte) 0).put((byte) 0).putInt(PIT_GSI).putShort((short) 0);
        // ISA IRQ 9 (SCI) -> GSI 9, level, active high.
        b.put((byte) MADT_INT_SRC_OVERRIDE).put((byte) 10).put((byte) 0).put((byte) SCI_IRQ).putInt(SCI_IRQ)
                .putShort((short) (MPS_ACTIVE_HIGH | MPS_LEVEL));
        // LINT1 of every processor (uid 0xFF) is the NMI input.
        b.put((byte) MADT_LOCAL_APIC_NMI).put((byte) 6).put((byte) 0xFF).putShort((short) 0).put((byte) 1);
        return finish(b);
    }

    // ---------------------------------------------------------------- DSDT

    /** PCI slots 1..31 on bus 0 appear in _PRT; slot 0 is the host bridge. */
    public static final int PCI_FIRST_SLOT = 1, PCI_LAST_SLOT = 31;

    /** The DSDT: a table header and the AML of {@link #dsdtAml()}. */
    public static byte[] dsdt() {
        byte[] aml = dsdtAml();
        ByteBuffer b = header("DSDT", HEADER_SIZE + aml.length, 2); // revision 2: 64-bit integers
        b.position(HEADER_SIZE);
        b.put(aml);
        return finish(b);
    }

    /**
     * The DSDT's definition block, equivalent to this ASL:
     * <pre>
     * Scope (\_SB) {
     *   Device (PCI0) {
     *     Name (_HID, EisaId ("PNP0A03"))  Name (_UID, Zero)  Name (_BBN, Zero)
     *     Name (_CRS, ResourceTemplate () {
     *       WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, 0, 0xFF, 0, 0x100)
     *       IO (Decode16, 0xCF8, 0xCF8, 0x01, 0x08)
     *       WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0, 0, 0xCF7, 0, 0xCF8)
     *       WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0, 0xD00, 0xFFFF, 0, 0xF300)
     *       DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite,
     *                    0, 0xA0000, 0xBFFFF, 0, 0x20000)
     *       DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,
     *                    0, 0xC0000000, 0xFEBFFFFF, 0, 0x3EC00000) })
     *     Name (_PRT, Package () { Package () { 0x0001FFFF, 0, Zero, 17 }, ... slot s pin p -> GSI 16 + (s + p) % 4 })
     *   }
     *   Device (COM1) { Name (_HID, EisaId ("PNP0501"))  Name (_UID, One)
     *     Name (_CRS, ResourceTemplate () { IO (Decode16, 0x3F8, 0x3F8, 0x00, 0x08)  IRQNoFlags () {4} }) }
     *   Device (RTC) { Name (_HID, EisaId ("PNP0B00"))
     *     Name (_CRS, ResourceTemplate () { IO (Decode16, 0x70, 0x70, 0x00, 0x02)  IRQNoFlags () {8} }) }
     * }
     * Name (\_S5, Package () { 5, 5, Zero, Zero })
     * </pre>
     */
    public static byte[] dsdtAml() {
        byte[] pciCrs = new Aml.Resources()
                .wordBusNumber(0, 0xFF)
                .io(0xCF8, 0xCF8, 1, 8)
                .wordIo(0x0000, 0x0CF7)
                .wordIo(0x0D00, 0xFFFF)
                .dwordMemory(0xA_0000L, 0xB_FFFFL, true)
                .dwordMemory(PCI_MMIO_START, PCI_MMIO_END - 1, false)
                .build();
        List<byte[]> prt = new ArrayList<>();
        for (int slot = PCI_FIRST_SLOT; slot <= PCI_LAST_SLOT; slot++) {
            for (int pin = 0; pin < 4; pin++) {
                prt.add(Aml.pkg(Aml.dword(((long) slot << 16) | 0xFFFF), Aml.integer(pin), Aml.integer(0),
                        Aml.integer(pciIntxGsi(slot, pin))));
            }
        }
        byte[] pci0 = Aml.device("PCI0",
                Aml.name("_HID", Aml.eisaId("PNP0A03")),
                Aml.name("_UID", Aml.integer(0)),
                Aml.name("_BBN", Aml.integer(0)),
                Aml.name("_CRS", pciCrs),
                Aml.name("_PRT", Aml.pkg(prt.toArray(new byte[0][]))));
        byte[] com1 = Aml.device("COM1",
                Aml.name("_HID", Aml.eisaId("PNP0501")),
                Aml.name("_UID", Aml.integer(1)),
                Aml.name("_CRS", new Aml.Resources().io(0x3F8, 0x3F8, 0, 8).irqNoFlags(4).build()));
        byte[] rtc = Aml.device("RTC",
                Aml.name("_HID", Aml.eisaId("PNP0B00")),
                Aml.name("_CRS", new Aml.Resources().io(0x70, 0x70, 0, 2).irqNoFlags(8).build()));
        byte[] sb = Aml.scope("\\_SB", pci0, com1, rtc);
        byte[] s5 = Aml.name("\\_S5", Aml.pkg(Aml.integer(SLP_TYP_S5), Aml.integer(SLP_TYP_S5), Aml.integer(0), Aml.integer(0)));
        return Aml.concat(sb, s5);
    }

    // ---------------------------------------------------------------- helpers

    /** A table buffer of {@code length} bytes with the standard header filled in (checksum later). */
    static ByteBuffer header(String signature, int length, int revision) {
        ByteBuffer b = le(length);
        b.put(signature.getBytes(StandardCharsets.US_ASCII));
        b.putInt(length);
        b.put((byte) revision);
        b.put((byte) 0); // checksum
        b.put(OEM_ID.getBytes(StandardCharsets.US_ASCII));
        b.put(("VMD" + signature + "        ").substring(0, 8).getBytes(StandardCharsets.US_ASCII)); // OEM table id, space-padded
        b.putInt(1); // OEM revision
        b.put(CREATOR_ID.getBytes(StandardCharsets.US_ASCII));
        b.putInt(1); // creator revision
        return b;
    }

    /** Sets the header checksum so the whole table sums to zero. */
    static byte[] finish(ByteBuffer b) {
        byte[] out = b.array();
        out[9] = 0;
        out[9] = checksum(out, 0, out.length);
        return out;
    }

    /** The byte that makes bytes [from, from + length) sum to zero (mod 256). */
    public static byte checksum(byte[] data, int from, int length) {
        int sum = 0;
        for (int i = from; i < from + length; i++) sum += data[i];
        return (byte) -sum;
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    static final class Allocator {
        long next;

        Allocator(long start) {
            next = start;
        }

        long take(int size, int align) {
            long at = (next + align - 1) & -(long) align;
            next = at + size;
            return at;
        }
    }
}
