package vmd.vm.boot;

import static vmd.vm.boot.MemoryMap.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import vmd.memory.GuestMemory;

/**
 * The Intel MultiProcessor Specification 1.4 table (for kernels booted with acpi=off, or
 * without ACPI): the floating pointer at 0xF0000 (Linux scans 0xF0000-0xFFFFF) and the
 * configuration table right after it. It describes the same machine as the MADT and _PRT:
 * processors 0..n-1, PCI bus 0 and ISA bus 1, one IOAPIC (id n), ISA IRQs 0-15 (0 on pin 2,
 * 9 level/active high, 2 left out: it is the cascade), PCI slot s pin p on GSI 16 + (s+p)%4
 * level/active low, and LINT0 = ExtINT, LINT1 = NMI.
 */
public final class MpTable {
    private MpTable() {}

    public static final long FLOATING_POINTER_ADDRESS = MPTABLE_AREA_START;
    public static final long CONFIG_TABLE_ADDRESS = MPTABLE_AREA_START + 16;
    public static final int SPEC_REV = 4;
    public static final int APIC_VERSION = 0x14, IOAPIC_VERSION = 0x11;
    public static final int PCI_BUS = 0, ISA_BUS = 1;
    static final int ENTRY_PROCESSOR = 0, ENTRY_BUS = 1, ENTRY_IOAPIC = 2, ENTRY_IO_INTERRUPT = 3, ENTRY_LOCAL_INTERRUPT = 4;
    static final int INT = 0, NMI = 1, EXTINT = 3;
    /** MPS INTI flags: polarity bits 1:0 (1 high, 3 low), trigger bits 3:2 (1 edge, 3 level). */
    static final int FLAGS_CONFORMS = 0, FLAGS_LEVEL_HIGH = 0x1 | 0xC, FLAGS_LEVEL_LOW = 0x3 | 0xC;
    static final int HEADER_SIZE = 44;

    /** Where the table went. */
    public record Layout(long floatingPointer, long configTable, int configTableLength) {}

    public static Layout write(GuestMemory mem, int cpus) {
        byte[] config = configTable(cpus);
        if (CONFIG_TABLE_ADDRESS + config.length > MPTABLE_AREA_END) throw new BootException("MP table does not fit below 1 MiB");
        mem.write(FLOATING_POINTER_ADDRESS, floatingPointer(CONFIG_TABLE_ADDRESS));
        mem.write(CONFIG_TABLE_ADDRESS, config);
        return new Layout(FLOATING_POINTER_ADDRESS, CONFIG_TABLE_ADDRESS, config.length);
    }

    static byte[] floatingPointer(long configTable) {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.put("_MP_".getBytes(StandardCharsets.US_ASCII));
        b.putInt((int) configTable);
        b.put((byte) 1);          // length in 16-byte units
        b.put((byte) SPEC_REV);
        b.put((byte) 0);          // checksum
        b.put((byte) 0);          // feature 1: 0 = a configuration table is present
        b.put((byte) 0);          // feature 2: bit 7 clear = virtual wire mode, no IMCR
        byte[] out = b.array();
        out[10] = AcpiTables.checksum(out, 0, 16);
        return out;
    }

    static int entryCount(int cpus) {
        return cpus + 2 + 1 + 15 + (AcpiTables.PCI_LAST_SLOT - AcpiTables.PCI_FIRST_SLOT + 1) * 4 + 2;
    }

    static byte[] configTable(int cpus) {
        AcpiTables.checkCpus(cpus);
        int entries = entryCount(cpus);
        int length = HEADER_SIZE + cpus * 20 + (entries - cpus) * 8;
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        b.put("PCMP".getBytes(StandardCharsets.US_ASCII));
        b.putShort((short) length);
        b.put((byte) SPEC_REV);
        b.put((byte) 0); // checksum
        b.put("VMDLINUX".getBytes(StandardCharsets.US_ASCII));
        b.put("VMD MACHINE ".getBytes(StandardCharsets.US_ASCII));
        b.putInt(0);          // OEM table pointer
        b.putShort((short) 0); // OEM table size
        b.putShort((short) entries);
        b.putInt((int) LAPIC_ADDRESS);
        b.putShort((short) 0); // extended table length
        b.put((byte) 0);      // extended table checksum
        b.put((byte) 0);
        int ioapic = AcpiTables.ioapicId(cpus);

        for (int i = 0; i < cpus; i++) {
            b.put((byte) ENTRY_PROCESSOR).put((byte) i).put((byte) APIC_VERSION);
            b.put((byte) (1 | (i == 0 ? 2 : 0)));       // enabled, boot processor
            b.putInt(0x600);                             // signature: family 6
            b.putInt(0x201);                             // features: FPU, APIC
            b.putLong(0);
        }
        b.put((byte) ENTRY_BUS).put((byte) PCI_BUS).put("PCI   ".getBytes(StandardCharsets.US_ASCII));
        b.put((byte) ENTRY_BUS).put((byte) ISA_BUS).put("ISA   ".getBytes(StandardCharsets.US_ASCII));
        b.put((byte) ENTRY_IOAPIC).put((byte) ioapic).put((byte) IOAPIC_VERSION).put((byte) 1).putInt((int) IOAPIC_ADDRESS);
        for (int irq = 0; irq < 16; irq++) {
            if (irq == 2) continue; // the PIC cascade; pin 2 carries IRQ 0
            int pin = irq == 0 ? PIT_GSI : irq;
            int flags = irq == SCI_IRQ ? FLAGS_LEVEL_HIGH : FLAGS_CONFORMS;
            ioInterrupt(b, INT, flags, ISA_BUS, irq, ioapic, pin);
        }
        for (int slot = AcpiTables.PCI_FIRST_SLOT; slot <= AcpiTables.PCI_LAST_SLOT; slot++) {
            for (int pin = 0; pin < 4; pin++) {
                ioInterrupt(b, INT, FLAGS_LEVEL_LOW, PCI_BUS, (slot << 2) | pin, ioapic, pciIntxGsi(slot, pin));
            }
        }
        // LINT0 of every local APIC is the 8259's ExtINT, LINT1 is NMI.
        b.put((byte) ENTRY_LOCAL_INTERRUPT).put((byte) EXTINT).putShort((short) 0).put((byte) ISA_BUS).put((byte) 0)
                .put((byte) 0xFF).put((byte) 0);
        b.put((byte) ENTRY_LOCAL_INTERRUPT).put((byte) NMI).putShort((short) 0).put((byte) ISA_BUS).put((byte) 0)
                .put((byte) 0xFF).put((byte) 1);
        if (b.position() != length) throw new IllegalStateException("MP table length " + b.position() + " != " + length);
        byte[] out = b.array();
        out[7] = AcpiTables.checksum(out, 0, length);
        return out;
    }

    private static void ioInterrupt(ByteBuffer b, int type, int flags, int bus, int busIrq, int ioapic, int pin) {
        b.put((byte) ENTRY_IO_INTERRUPT).put((byte) type).putShort((short) flags).put((byte) bus).put((byte) busIrq)
                .put((byte) ioapic).put((byte) pin);
    }
}
